"""`epitrace campaigns list | launch | pause | resume`, acting as a named staff account."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from epitrace.alerts.models import AudienceKind, Campaign
from epitrace.cli import app as cli_app
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.security.models import AuditEntry
from tests.alerts import campaign_factories as cf
from tests.alerts import factories as af


@pytest.fixture
def run(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, ["campaigns", *args])
    get_settings.cache_clear()


def test_list_launch_pause_resume(run: Any, db: Database, places: Any) -> None:
    with db.session_scope() as s:
        dic = af.staff(s, "dic-cli", "dic_officer", "79")
        af.staff(s, "dic-hn-cli", "dic_officer", "01")
        af.citizen(s, "0912000001", ward="26743")
        campaign = cf.campaign(
            s, dic.id, start=cf.local_now(timedelta(hours=1)), audience_kind=AudienceKind.UNITS
        )
        cid = str(campaign.id)
    listed = run("list", "--as", "dic-cli")
    assert listed.exit_code == 0, listed.output
    assert cid in listed.output and "draft" in listed.output
    assert run("launch", cid, "--as", "dic-hn-cli").exit_code == 1  # outside their area
    launched = run("launch", cid, "--as", "dic-cli")
    assert launched.exit_code == 0, launched.output
    assert f"{cid}: scheduled" in launched.output
    assert f"{cid}: paused" in run("pause", cid, "--as", "dic-cli").output
    assert f"{cid}: scheduled" in run("resume", cid, "--as", "dic-cli").output
    again = run("resume", cid, "--as", "dic-cli")
    assert again.exit_code == 1 and "paused campaign" in again.output
    assert run("launch", "not-an-id", "--as", "dic-cli").exit_code == 2
    with db.session_scope() as s:
        assert s.scalars(select(Campaign)).one().status == "scheduled"
        actions = {e.action for e in s.scalars(select(AuditEntry))}
    assert {"campaign.launch", "campaign.pause", "campaign.resume"} <= actions
