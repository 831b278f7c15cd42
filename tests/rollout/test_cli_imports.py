"""`epitrace rollout import-organisations` and `import-roster`: all or nothing, acting as a
named staff account whose area rules apply and whom the audit log names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from epitrace.cli import app as cli_app
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.rollout import organisations as org_service
from epitrace.rollout.models import RosterMember
from epitrace.security.models import AuditEntry
from epitrace.venues.models import Organisation
from tests import factories

ORGS = "Tên đơn vị,Loại hình,Ngành quản lý,Mã phường/xã\n"


@pytest.fixture
def run(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, ["rollout", *args])
    get_settings.cache_clear()


def test_import_organisations_whole_or_nothing_inside_the_area(
    run: Any, db: Database, places: Any, tmp_path: Path
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="dic-hcm", role="dic_officer", area="79")
    good = tmp_path / "don-vi.csv"
    good.write_text(
        ORGS + "Trường Tiểu học Bến Thành,school,education,26743\n"
        "Chợ Bến Thành,market,industry_trade,26743\n",
        encoding="utf-8",
    )
    result = run("import-organisations", str(good), "--as", "dic-hcm")
    assert result.exit_code == 0, result.output
    assert "2 organisations registered, 0 updated" in result.output
    bad = tmp_path / "sai.csv"
    bad.write_text(
        ORGS + "Trường Mới,school,education,26743\nBệnh viện Hà Nội,health_facility,health,00070\n",
        encoding="utf-8",
    )
    result = run("import-organisations", str(bad), "--as", "dic-hcm")
    assert result.exit_code == 1
    assert "line 3" in result.output  # the Hà Nội row lies outside the importer's area
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Organisation)) == 2  # nothing of it
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
        assert entry.actor_label == "dic-hcm"
    assert run("import-organisations", str(good), "--as", "nobody").exit_code == 2


def test_import_roster_as_the_organisations_admin(
    run: Any, db: Database, places: Any, tmp_path: Path
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="dic-hcm", role="dic_officer", area="79")
        factories.staff(s, username="admin-truong", role="org_admin", area="26743")
    orgs = tmp_path / "don-vi.csv"
    orgs.write_text(ORGS + "Trường Tiểu học Bến Thành,school,education,26743\n", encoding="utf-8")
    assert run("import-organisations", str(orgs), "--as", "dic-hcm").exit_code == 0
    with db.session_scope() as s:
        org = s.scalars(select(Organisation)).one()
        org_service.add_admin(s, organisation=org, username="admin-truong")
        org_id = str(org.id)
    roster = tmp_path / "nhan-su.csv"
    roster.write_text(
        "Họ và tên,Số điện thoại\nTrần Thị Bình,0912000002\nLê Văn Cường,0912000003\n",
        encoding="utf-8",
    )
    refused = run("import-roster", org_id, str(roster), "--as", "dic-hcm")
    assert refused.exit_code == 1  # rosters with names are the organisation's own business
    result = run("import-roster", org_id, str(roster), "--as", "admin-truong")
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 removed" in result.output
    broken = tmp_path / "sai.csv"
    broken.write_text("Họ và tên,Số điện thoại\nAn,12\n", encoding="utf-8")
    result = run("import-roster", org_id, str(broken), "--as", "admin-truong")
    assert result.exit_code == 1
    assert "line 2" in result.output
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(RosterMember)) == 2
    assert run("import-roster", "not-an-id", str(roster), "--as", "admin-truong").exit_code == 2
