"""`epitrace alerts send-test`, `epitrace alerts status`, `epitrace worker --once`, and the
web process's own worker on SQLite."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.alerts import worker as alert_worker
from epitrace.alerts.models import Status
from epitrace.cli import app
from epitrace.config import Settings, get_settings
from epitrace.db import Database
from tests.alerts.outbox import queue, rows


@pytest.fixture
def runner(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_SMS_BACKEND", "file")
    monkeypatch.setenv("EPITRACE_SMS_OUTBOX", str(tmp_path / "sms.log"))
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_send_test_now_and_status(runner: CliRunner, db: Database, tmp_path: Path) -> None:
    result = runner.invoke(app, ["alerts", "send-test", "--to", "0912 000 321", "--now"])
    assert result.exit_code == 0, result.output
    assert "delivered" in result.output  # the development log confirms at once
    [line] = (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()
    logged = json.loads(line)
    assert (logged["to"], logged["channel"]) == ("+84912000321", "sms")
    assert "epitrace" in logged["text"]
    queued = runner.invoke(app, ["alerts", "send-test", "--to", "canbo@example.vn"])
    assert queued.exit_code == 0, queued.output
    status = runner.invoke(app, ["alerts", "status"])
    assert status.exit_code == 0, status.output
    assert "delivered" in status.output and "queued" in status.output
    bad = runner.invoke(app, ["alerts", "send-test", "--to", "12345"])
    assert bad.exit_code == 1


def test_worker_once_drains_the_outbox(runner: CliRunner, db: Database) -> None:
    from datetime import UTC, datetime

    queue(db, 3, now=datetime.now(UTC), urgent=True)
    result = runner.invoke(app, ["worker", "--once", "--no-jobs", "--channel", "sms"])
    assert result.exit_code == 0, result.output
    assert "outbox: 3 sent" in result.output
    assert {r.status for r in rows(db)} == {Status.DELIVERED}


def test_web_process_drains_on_sqlite_only(db: Database, settings: Settings) -> None:
    assert alert_worker.in_process_enabled(
        settings.model_copy(update={"database_url": "sqlite://"})
    )
    assert not alert_worker.in_process_enabled(
        settings.model_copy(update={"database_url": "postgresql+psycopg://x/y"})
    )
    assert not alert_worker.in_process_enabled(
        settings.model_copy(update={"database_url": "sqlite://", "alerts_inprocess": False})
    )
    from datetime import UTC, datetime

    queue(db, 2, now=datetime.now(UTC), urgent=True)
    dispatcher = alert_worker.start_in_process(
        db, settings.model_copy(update={"alerts_inprocess": True})
    )
    assert dispatcher is not None
    try:
        for _ in range(100):
            if {r.status for r in rows(db)} == {Status.DELIVERED}:
                break
            time.sleep(0.05)
    finally:
        dispatcher.stop_and_wait()
    assert {r.status for r in rows(db)} == {Status.DELIVERED}
