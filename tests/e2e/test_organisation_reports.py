"""An organisation's report in Chromium: its admin submits it, the sector's director returns
it with a comment, the admin corrects and resubmits, the director approves it, and the DIC's
reporting rate of the province counts it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from epitrace import localtime
from epitrace.accounts import service as account_service
from epitrace.db import Database
from epitrace.rollout import reports as report_service
from epitrace.rollout.models import OrganisationAdmin, SectorDirector
from epitrace.rollout.periods import PeriodType, last_ended
from epitrace.venues import service as venue_service
from epitrace.venues.models import OrganisationKind, Sector
from tests import factories
from tests.e2e.conftest import staff_page

ACCOUNTS = {
    "qt-truong": ("org_admin", "99101"),
    "gd-so-gd": ("sector_director", "99"),
    "stttt-thu": ("dic_officer", "99"),
}
SCHOOL = "Trường Tiểu học Một A"


def test_an_organisation_report_is_returned_resubmitted_and_approved_by_its_sector(
    launch: Callable[..., Browser], db: Database, places: Any, live_server: str
) -> None:
    with db.session_scope() as s:
        for username, (role, area) in ACCOUNTS.items():
            factories.staff(s, username=username, role=role, area=area)
        school = venue_service.create_organisation(
            s, name=SCHOOL, kind=OrganisationKind.SCHOOL, sector=Sector.EDUCATION, ward_code="99101"
        )
        admin = account_service.get_by_username(s, username="qt-truong")
        director = account_service.get_by_username(s, username="gd-so-gd")
        assert admin is not None and director is not None
        s.add(OrganisationAdmin(organisation_id=school.id, user_id=admin.id))
        s.add(SectorDirector(user_id=director.id, sector=Sector.EDUCATION))
        form = report_service.create_form(
            s,
            name="Báo cáo tuần của cơ quan, đơn vị",
            area_code="99",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["organisation"],
            created_by=None,
        )
        form_id = form.id
        unit_key = report_service.organisation_key(school.id)
    week = last_ended(PeriodType.WEEKLY, localtime.today()).key
    report_url = f"/rollout/reports/{form_id}/{unit_key}/{week}"
    rate_url = f"/rollout/reports/{form_id}/rate?area=99&period={week}"
    browser = launch()

    # the school's admin opens its report from the list of reports and submits it
    admin_page = staff_page(browser, live_server, "qt-truong")
    admin_page.goto("/rollout/reports")
    admin_page.get_by_role("link", name=f"{SCHOOL} — {week}").click()
    admin_page.wait_for_url(f"**{report_url}")
    admin_page.fill("#results", "Đã cài ứng dụng cho 40 giáo viên")
    admin_page.get_by_role("button", name="Gửi báo cáo").click()
    expect(admin_page.get_by_test_id("report-status")).to_have_attribute("data-status", "submitted")

    # the education director finds it waiting for review and returns it with a comment
    director_page = staff_page(browser, live_server, "gd-so-gd")
    director_page.goto("/rollout/reports")
    director_page.get_by_test_id("to-review").get_by_role("link", name=f"{SCHOOL} — {week}").click()
    director_page.wait_for_url(f"**{report_url}")
    director_page.fill("#comment", "Bổ sung số học sinh đã cài")
    director_page.get_by_role("button", name="Trả lại để chỉnh sửa").click()
    expect(director_page.get_by_test_id("report-status")).to_have_attribute(
        "data-status", "returned"
    )

    # the admin reads the comment, corrects and resubmits
    admin_page.reload()
    expect(admin_page.get_by_test_id("review-comment")).to_contain_text("Bổ sung số học sinh")
    admin_page.fill("#results", "Đã cài cho 40 giáo viên và 300 học sinh")
    admin_page.get_by_role("button", name="Gửi báo cáo").click()
    expect(admin_page.get_by_test_id("report-status")).to_have_attribute(
        "data-status", "resubmitted"
    )

    # the director approves; the report is locked for its admin
    director_page.reload()
    director_page.get_by_role("button", name="Phê duyệt").click()
    expect(director_page.get_by_test_id("report-status")).to_have_attribute(
        "data-status", "approved"
    )
    admin_page.reload()
    expect(admin_page.get_by_role("button", name="Gửi báo cáo")).to_have_count(0)

    # the DIC's reporting rate of the province counts the approved organisation
    dic = staff_page(browser, live_server, "stttt-thu")
    dic.goto(rate_url)
    total = dic.get_by_test_id("rate-total")
    expect(total).to_have_attribute("data-expected", "1")
    expect(total).to_have_attribute("data-submitted", "1")
    expect(total).to_have_attribute("data-approved", "1")
    expect(dic.get_by_test_id("lagging")).to_have_count(0)
