"""The reporting chain in Chromium: a ward's weekly report returned by the district, corrected,
resubmitted and approved; the province's reporting rate follows; the DIC reminds the lagging
units and a lagging ward official finds the notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from epitrace import localtime
from epitrace.db import Database
from epitrace.rollout import reports as report_service
from epitrace.rollout.periods import PeriodType, last_ended
from tests import factories
from tests.e2e.conftest import staff_page

ACCOUNTS = {
    "xa-mot-a": ("ward_official", "99101"),
    "xa-mot-b": ("ward_official", "99102"),
    "huyen-mot": ("district_official", "991"),
    "tinh-thu": ("province_official", "99"),
    "stttt-thu": ("dic_officer", "99"),
}


def test_a_weekly_report_goes_up_the_chain_and_lagging_units_are_reminded(
    launch: Callable[..., Browser], db: Database, places: Any, live_server: str
) -> None:
    with db.session_scope() as s:
        for username, (role, area) in ACCOUNTS.items():
            factories.staff(s, username=username, role=role, area=area)
        form = report_service.create_form(
            s,
            name="Báo cáo tiến độ hằng tuần",
            area_code="99",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["district", "ward"],
            created_by=None,
        )
        form_id = form.id
    week = last_ended(PeriodType.WEEKLY, localtime.today()).key
    report_url = f"/rollout/reports/{form_id}/99101/{week}"
    rate_url = f"/rollout/reports/{form_id}/rate?area=99&period={week}"
    browser = launch()

    # the ward opens its report from the list and submits it
    ward = staff_page(browser, live_server, "xa-mot-a")
    ward.goto("/rollout")
    ward.get_by_role("link", name="Báo cáo định kỳ").click()
    ward.get_by_role("link", name=f"Xã Một A — {week}").click()
    ward.wait_for_url(f"**{report_url}")
    ward.fill("#results", "Đã phát 500 tờ rơi")
    ward.get_by_role("button", name="Gửi báo cáo").click()
    expect(ward.get_by_test_id("report-status")).to_have_attribute("data-status", "submitted")

    # the province sees one of five reports submitted
    province = staff_page(browser, live_server, "tinh-thu")
    province.goto(rate_url)
    total = province.get_by_test_id("rate-total")
    expect(total).to_have_attribute("data-expected", "5")
    expect(total).to_have_attribute("data-submitted", "1")
    expect(total).to_have_attribute("data-approved", "0")

    # the district returns it with a comment
    district = staff_page(browser, live_server, "huyen-mot")
    district.goto(report_url)
    district.fill("#comment", "Bổ sung số hộ đã đến")
    district.get_by_role("button", name="Trả lại để chỉnh sửa").click()
    expect(district.get_by_test_id("report-status")).to_have_attribute("data-status", "returned")

    # the ward reads the comment, corrects and resubmits
    ward.reload()
    expect(ward.get_by_test_id("review-comment")).to_contain_text("Bổ sung số hộ đã đến")
    ward.fill("#results", "Đã phát 500 tờ rơi, đến 120 hộ")
    ward.get_by_role("button", name="Gửi báo cáo").click()
    expect(ward.get_by_test_id("report-status")).to_have_attribute("data-status", "resubmitted")

    # the district approves; the report is locked
    district.reload()
    district.get_by_role("button", name="Phê duyệt").click()
    expect(district.get_by_test_id("report-status")).to_have_attribute("data-status", "approved")
    ward.reload()
    expect(ward.get_by_role("button", name="Gửi báo cáo")).to_have_count(0)

    # the province's reporting rate changes
    province.reload()
    expect(total).to_have_attribute("data-approved", "1")
    expect(province.locator('[data-testid="lagging"] li')).to_have_count(4)

    # the DIC reminds every lagging unit in one action
    dic = staff_page(browser, live_server, "stttt-thu")
    dic.goto(rate_url)
    dic.get_by_test_id("remind").click()
    expect(dic.locator(".flash").first).to_contain_text("Đã gửi nhắc nhở tới 2 đơn vị")

    # a lagging ward's official finds the reminder among their notices
    lagging = staff_page(browser, live_server, "xa-mot-b")
    lagging.goto("/inbox")
    expect(lagging.locator("main")).to_contain_text("Đôn đốc: báo cáo Báo cáo tiến độ hằng tuần")

    # the report page does not scroll sideways on a phone
    ward.set_viewport_size({"width": 390, "height": 844})
    ward.goto(report_url)
    assert ward.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
