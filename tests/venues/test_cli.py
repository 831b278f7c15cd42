"""`epitrace venues …` commands against a migrated database."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.config import Settings, get_settings
from tests.qr import decode_qr


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch, places: Any) -> Settings:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(settings.keys_dir))
    monkeypatch.setenv("EPITRACE_BASE_URL", settings.base_url)
    get_settings.cache_clear()
    yield settings  # type: ignore[misc]
    get_settings.cache_clear()


def test_create_poster_list_suspend_reissue(cli_env: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["venues", "create", "--name", "Chợ Bến Thành", "--category", "market", "--ward", "26743"],
    )
    assert result.exit_code == 0, result.output
    venue_id = re.search(r"id: (\S+)", result.output).group(1)  # type: ignore[union-attr]
    url = re.search(r"qr: (\S+)", result.output).group(1)  # type: ignore[union-attr]
    assert url.startswith("https://epitrace.example.vn/c/")

    png = tmp_path / "poster.png"
    result = runner.invoke(app, ["venues", "poster", venue_id, "--format", "png", "-o", str(png)])
    assert result.exit_code == 0, result.output
    image = Image.open(io.BytesIO(png.read_bytes()))
    assert decode_qr(image) == [url]
    pdf = tmp_path / "poster.pdf"
    result = runner.invoke(app, ["venues", "poster", venue_id, "--format", "pdf", "-o", str(pdf)])
    assert result.exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")

    result = runner.invoke(app, ["venues", "list", "--ward", "26743"])
    assert result.output.rstrip().endswith("1 venues")
    assert runner.invoke(app, ["venues", "suspend", venue_id]).exit_code == 0
    result = runner.invoke(app, ["venues", "reissue", venue_id])
    assert result.exit_code == 0
    assert "code version 2" in result.output

    bad = runner.invoke(
        app, ["venues", "create", "--name", "X", "--category", "market", "--ward", "nope"]
    )
    assert bad.exit_code == 1
    assert "The ward nope does not exist." in bad.output
