"""`epitrace declarations expired` and `export` on the configured database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.config import get_settings
from epitrace.db import Database, utcnow
from tests.declarations.factories import declare


@pytest.fixture
def runner(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_expired_and_export(runner: CliRunner, db: Database, places: Any, tmp_path: Path) -> None:
    with db.session_scope() as s:
        declare(s, now=utcnow() - timedelta(days=10), full_name="Trần Thị Bình")
        declare(s, now=utcnow() - timedelta(hours=1), symptoms=["fever"])
    result = runner.invoke(app, ["declarations", "expired"])
    assert result.exit_code == 0, result.output
    assert "Trần Thị Bình" in result.output and "1 people to remind" in result.output

    out = tmp_path / "list.xlsx"
    result = runner.invoke(app, ["declarations", "export", "--area", "79", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.values)  # type: ignore[union-attr]
    assert len(rows) == 2 and rows[1][7] == "Sốt"
    result = runner.invoke(app, ["declarations", "export", "--area", "nowhere", "--out", str(out)])
    assert result.exit_code == 2
