"""Rollout oversight in Chromium: rosters, household visits, the reporting chain, reminders."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from epitrace.accounts import service as account_service
from epitrace.db import Database, utcnow
from epitrace.rollout.models import OrganisationAdmin
from epitrace.venues import service as venue_service
from epitrace.venues.models import OrganisationKind, Sector, VenueCategory
from tests import factories
from tests.declarations.factories import declare
from tests.e2e.conftest import sign_in_staff
from tests.rollout.conftest import citizen_person

ROSTER = (
    "Họ và tên,Số điện thoại,Phòng ban,Đối tượng\n"
    "Nguyễn Thị Lan,0912 000 001,Tổ Toán,giáo viên\n"
    "Trần Văn Bình,0912000002,Tổ Văn,giáo viên\n"
    "Lê Minh Châu,0912000003,Lớp 10A1,học sinh\n"
    "Phạm Thu Dung,0912000004,Lớp 10A1,học sinh\n"
)


def _school_with_admin(db: Database) -> uuid.UUID:
    with db.session_scope() as s:
        factories.staff(s, username="hieu-truong", role="org_admin", area="26743")
        school = venue_service.create_organisation(
            s,
            name="Trường THPT Trưng Vương",
            kind=OrganisationKind.SCHOOL,
            sector=Sector.EDUCATION,
            ward_code="26743",
        )
        admin = account_service.get_by_username(s, username="hieu-truong")
        assert admin is not None
        s.add(OrganisationAdmin(organisation_id=school.id, user_id=admin.id))
        venue_service.create(
            s,
            name="Cổng trường Trưng Vương",
            category=VenueCategory.SCHOOL,
            ward_code="26743",
            organisation_id=school.id,
        )
        # two of the four have signed up; one of them declared yesterday
        lan = citizen_person(s, phone="0912000001", name="Lan")
        citizen_person(s, phone="0912000003", name="Châu")
        declare(s, person_id=lan, now=utcnow() - timedelta(days=1))
        return school.id


def test_org_admin_uploads_a_roster_and_sees_coverage(
    page: Page, db: Database, places: Any, tmp_path: Path
) -> None:
    school = _school_with_admin(db)
    sign_in_staff(page, "hieu-truong", factories.STAFF_PASSWORD)
    page.goto("/rollout")
    page.get_by_role("link", name="Cơ quan, đơn vị").click()
    page.get_by_role("link", name="Trường THPT Trưng Vương").click()
    expect(page.get_by_test_id("cov-members")).to_have_text("0")
    page.get_by_test_id("open-roster").click()
    page.wait_for_url(f"**/rollout/organisations/{school}/roster")

    # a broken list first: every problem by line, nothing loaded
    broken = tmp_path / "hong.csv"
    broken.write_text(ROSTER + "Không số,,,\nSai số,0123,,\n", encoding="utf-8")
    page.set_input_files("#roster-file", str(broken))
    page.get_by_test_id("roster-upload").click()
    problems = page.get_by_test_id("import-problems")
    expect(problems).to_contain_text("6")
    expect(problems).to_contain_text("7")
    expect(page.get_by_test_id("import-error")).to_contain_text("Không có gì bị thay đổi")
    expect(page.get_by_test_id("roster-row")).to_have_count(0)

    good = tmp_path / "nhan-su.csv"
    good.write_text(ROSTER, encoding="utf-8")
    page.set_input_files("#roster-file", str(good))
    page.get_by_test_id("roster-upload").click()
    expect(page.locator(".flash").first).to_contain_text("thêm 4")
    expect(page.get_by_test_id("roster-row")).to_have_count(4)
    expect(page.get_by_test_id("cov-members")).to_have_text("4")
    expect(page.get_by_test_id("cov-signed_up")).to_have_text("2")
    expect(page.get_by_test_id("cov-signed_up-pct")).to_have_text("50,0%")
    expect(page.get_by_test_id("cov-declared")).to_have_text("1")
    lan = page.locator('[data-testid="roster-row"][data-phone="+84912000001"]')
    expect(lan.get_by_test_id("signed-up")).to_have_text("Có")
    expect(lan.get_by_test_id("declared")).to_have_text("Có")
    dung = page.locator('[data-testid="roster-row"][data-phone="+84912000004"]')
    expect(dung.get_by_test_id("signed-up")).to_have_text("Chưa")
    # the organisation's page shows the same counts, without names
    page.goto(f"/rollout/organisations/{school}")
    expect(page.get_by_test_id("cov-signed_up-pct")).to_have_text("50,0%")
    # nothing scrolls sideways on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/rollout/organisations/{school}/roster")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
