"""`epitrace escrow keys generate|import|status`, `escrow request|approve|list`: the key
ceremony and an opening approved by two officials from their share files."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epitrace import localtime
from epitrace.cli import app
from epitrace.config import Settings, get_settings
from epitrace.db import Database
from epitrace.escrow.models import EscrowDayKey
from epitrace.security.keys import Keyring
from tests.escrow.test_escrow import officials, seed
from tests.tracing.factories import T0


@pytest.fixture
def runner(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Iterator[CliRunner]:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("EPITRACE_SECRET_KEY_FILE", str(settings.secret_key_file))
    monkeypatch.setenv("EPITRACE_PRIVACY_MODE", "escrow")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_key_ceremony_and_an_opening_by_two_officials(
    runner: CliRunner, db: Database, session: Session, places: Any, tmp_path: Path,
    settings: Settings,
) -> None:  # fmt: skip
    a, b, public = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "public.json"
    first = localtime.today(T0) - timedelta(days=10)
    made = runner.invoke(
        app,
        ["escrow", "keys", "generate", "--from", first.isoformat(), "--days", "21",
         "--share-a", str(a), "--share-b", str(b), "--public", str(public)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "21 day keys" in made.output
    for share in (a, b):
        assert stat.S_IMODE(share.stat().st_mode) == 0o600
    assert "private" not in public.read_text() and '"share_a"' in public.read_text()
    again = runner.invoke(
        app, ["escrow", "keys", "generate", "--share-a", str(a), "--share-b", str(b)]
    )
    assert again.exit_code == 1 and "never overwrites" in again.output

    # before the import the server has no key: the status says check-ins stop
    status = runner.invoke(app, ["escrow", "keys", "status"])
    assert status.exit_code == 0 and "no key for today" in status.output
    imported = runner.invoke(app, ["escrow", "keys", "import", str(public)])
    assert imported.exit_code == 0, imported.output
    assert "21 day keys published" in imported.output
    assert session.query(EscrowDayKey).count() == 21
    twice = runner.invoke(app, ["escrow", "keys", "import", str(public)])
    assert twice.exit_code == 1 and "already have a key" in twice.output

    _y1, _y2, _t, door = officials(session)
    escrow = settings.model_copy(update={"privacy_mode": "escrow"})
    ring = Keyring(tmp_path / "ring")
    world = seed(session, ring=ring, settings=escrow, suffix="E", operator=door)
    session.commit()
    case_id = str(world.case.id)

    refused = runner.invoke(app, ["trace", case_id])
    assert refused.exit_code == 1 and "sealed" in refused.output

    asked = runner.invoke(app, ["escrow", "request", case_id, "--as", "yte-1"])
    assert asked.exit_code == 0, asked.output
    found = re.search(r"opening ([0-9a-f-]{36})", asked.output)
    assert found
    opening = found.group(1)
    one = runner.invoke(app, ["escrow", "approve", opening, "--share", str(a), "--as", "yte-2"])
    assert one.exit_code == 0, one.output
    assert "waiting for share B" in one.output
    alone = runner.invoke(app, ["escrow", "approve", opening, "--share", str(b), "--as", "yte-2"])
    assert alone.exit_code == 1 and "another official" in alone.output
    two = runner.invoke(app, ["escrow", "approve", opening, "--share", str(b), "--as", "tinh-1"])
    assert two.exit_code == 0, two.output
    assert "opened 9 presences" in two.output
    assert re.search(r"[1-9]\d* F1, [1-9]\d* F2", two.output)
    listed = runner.invoke(app, ["escrow", "list"])
    assert "traced" in listed.output and case_id in listed.output
