"""Community teams in Chromium at phone width: a volunteer records one household visit online
and one offline; the queued visit is sent once when the connection is back, and the ward's
coverage counts both."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database
from epitrace.rollout import teams
from epitrace.rollout.models import HouseholdVisit
from tests import factories
from tests.e2e.a11y import PHONE_HEIGHT, PHONE_WIDTH
from tests.e2e.conftest import sign_in_citizen, sign_in_staff

PHONE = "0912345678"


def _visits(db: Database) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(HouseholdVisit)) or 0


def _team(db: Database) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="can-bo-phuong", role="ward_official", area="26743")
        team = teams.create_team(s, ward_code="26743", name="Tổ Covid cộng đồng khu phố 1")
        teams.add_member(s, team=team, phone=PHONE, full_name="Nguyễn Văn Tình")
        for address, head in (("12 Lê Lợi", "Võ Văn Tám"), ("14 Lê Lợi", "Đặng Thị Chín")):
            teams.add_household(s, team=team, values=teams.HouseholdIn(address, head, 4, "Lê Lợi"))


def _record(page: Any, household: str, smartphones: int, installed: int, helped: int) -> None:
    page.get_by_label("Hộ gia đình").select_option(label=household)
    page.get_by_label("Đã phát tờ rơi").check()
    page.get_by_label("Số người có điện thoại thông minh").fill(str(smartphones))
    page.get_by_label("Số người đã cài ứng dụng (kể cả người được hỗ trợ)").fill(str(installed))
    page.get_by_label("Số người được hỗ trợ cài đặt ngay").fill(str(helped))
    page.get_by_test_id("visit-save").click()


def test_a_volunteer_records_visits_online_and_offline(
    launch: Any, live_server: str, db: Database, places: Any, sms: FileSmsChannel
) -> None:
    _team(db)
    browser = launch()
    phone = {"width": PHONE_WIDTH, "height": PHONE_HEIGHT}
    context = browser.new_context(base_url=live_server, locale="vi-VN", viewport=phone)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_citizen(page, lambda: sms.messages("+84912345678"), PHONE, "/rollout/visits")
    page.wait_for_url("**/rollout/visits")
    states = page.get_by_test_id("visit-state")
    expect(states).to_have_text(["Chưa", "Chưa"], use_inner_text=True)

    # online: recorded at once
    _record(page, "12 Lê Lợi · Võ Văn Tám", 3, 2, 1)
    expect(page.locator("#visit-result")).to_have_text("Đã ghi nhận lượt thăm hộ.")
    expect(states.nth(0)).to_have_text("Đã thăm")
    assert _visits(db) == 1

    # offline: kept on the phone
    context.set_offline(True)
    _record(page, "14 Lê Lợi · Đặng Thị Chín", 2, 2, 2)
    expect(page.locator("#visit-result")).to_contain_text("Không có kết nối")
    expect(page.locator("#visit-queue")).to_have_attribute("data-count", "1")
    assert _visits(db) == 1

    # back online: sent once, and the queue is empty
    context.set_offline(False)
    expect(page.locator("#visit-queue")).to_have_attribute("data-count", "0")
    expect(page.locator("#visit-result")).to_have_text(
        "Các lượt thăm lưu trên điện thoại đã được gửi."
    )
    expect(states.nth(1)).to_have_text("Đã thăm")
    page.wait_for_timeout(3500)  # a further sync round sends nothing again
    assert _visits(db) == 2
    context.close()

    # the ward's coverage
    staff = browser.new_context(base_url=live_server, locale="vi-VN", viewport=phone)
    ward = staff.new_page()
    ward.set_default_timeout(15_000)
    sign_in_staff(ward, "can-bo-phuong", factories.STAFF_PASSWORD)
    ward.goto("/rollout")
    ward.get_by_role("link", name="Độ phủ hộ gia đình").click()
    expect(ward.get_by_test_id("cov-visited")).to_have_text("2")
    expect(ward.get_by_test_id("cov-installed")).to_have_text("4")
    expect(ward.get_by_test_id("coverage-team")).to_contain_text("2/2")
    staff.close()
