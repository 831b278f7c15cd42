"""`epitrace exposure export` and `purge` against the configured database and folders."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.exposure import exportfile, schedule
from epitrace.exposure import service as exposure_service
from epitrace.exposure.service import UploadKey
from epitrace.security.keys import Keyring, Purpose
from tests.exposure.conftest import WARD


@pytest.fixture
def runner(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("EPITRACE_EXPORTS_DIR", str(tmp_path / "exports"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_export_command_writes_a_verifiable_file(
    runner: CliRunner, db: Database, places: Any, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["exposure", "export"])
    assert result.exit_code == 0, result.output
    assert "no keys are ready" in result.output
    now = datetime.now(UTC)
    start = schedule.rolling_start(schedule.en_interval_number(now)) - 3 * 144
    with db.session_scope() as s:
        _, code = exposure_service.issue_code(
            s, issuer=None, area_code=WARD, report_type=1, test_date=now.date()
        )
        exposure_service.upload_keys(
            s,
            verification_code=code,
            keys=[UploadKey(base64.b64encode(bytes([i]) * 16).decode(), start + 144 * i)
                  for i in range(2)],
        )  # fmt: skip
    result = runner.invoke(app, ["exposure", "export"])
    assert result.exit_code == 0, result.output
    assert "2 keys +" in result.output
    files = list((tmp_path / "exports").glob("*.zip"))
    assert len(files) == 1
    pem = tmp_path / "public.pem"
    pem.write_bytes(Keyring(tmp_path / "keys").public_pem(Purpose.EXPOSURE_EXPORT))
    result = runner.invoke(app, ["exposure", "inspect", str(files[0]), "--public-key", str(pem)])
    assert result.exit_code == 0, result.output
    assert "signature: valid" in result.output
    parsed = exportfile.read_file(files[0].read_bytes())
    assert {bytes([0]) * 16, bytes([1]) * 16} <= {k.key_data for k in parsed.keys}
    result = runner.invoke(app, ["exposure", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted 0 keys and 0 export files" in result.output
    assert now - timedelta(days=1) < datetime.fromtimestamp(parsed.end_timestamp, UTC)
