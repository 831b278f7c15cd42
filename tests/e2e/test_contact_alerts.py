"""A health officer confirms a trace; the F1 finds the alert in their inbox on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Browser, expect

from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database
from tests import factories
from tests.alerts import factories as af
from tests.e2e.a11y import PHONE_HEIGHT, PHONE_WIDTH
from tests.e2e.conftest import sign_in_citizen, sign_in_staff
from tests.tracing import factories as f

F1_PHONE = "0933100002"


def test_a_confirmed_trace_reaches_the_f1_inbox_on_a_phone(
    launch: Callable[..., Browser],
    live_server: str,
    db: Database,
    places: Any,
    sms: FileSmsChannel,
) -> None:
    now = datetime.now(UTC)
    start = (now - f.T0).total_seconds() / 60 - 2 * 24 * 60
    with db.session_scope() as s:
        factories.staff(s, username="yte2", role="health_officer", area="79")
        f0 = f.person(s, "Tạ Văn Phúc", phone="0933100001")
        f1, _account = af.citizen(s, F1_PHONE, name="Kiều Thị Mai")
        market = f.venue(s)
        f.presence(s, venue=market, who=f0, start=start, end=start + 60)
        f.presence(s, venue=market, who=f1, start=start + 5, end=start + 50)
        case = f.case(s, who=f0, sampled=start + 24 * 60)
        case_id = case.id

    browser = launch()
    office = browser.new_context(base_url=live_server, locale="vi-VN")
    officer = office.new_page()
    officer.set_default_timeout(15_000)
    sign_in_staff(officer, "yte2", factories.STAFF_PASSWORD)
    officer.goto(f"/cases/{case_id}")
    expect(officer.get_by_test_id("confirm-trace")).to_have_count(0)  # nothing traced yet
    officer.get_by_test_id("run-trace").click()
    confirm = officer.get_by_test_id("confirm-trace")
    expect(confirm).to_contain_text("1 F1")
    confirm.click()
    expect(officer.get_by_test_id("trace-confirmed")).to_contain_text("1")
    expect(officer.get_by_test_id("confirm-trace")).to_have_count(0)  # once only
    # the delivery of the contact alerts, counted for the case's ward
    officer.get_by_test_id("trace-confirmed").get_by_role("link").click()
    expect(officer.get_by_test_id("dashboard-heading")).to_be_visible()
    expect(officer.get_by_test_id("total-queued")).to_have_text("1")
    office.close()

    phone = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
        is_mobile=True,
        has_touch=True,
    )
    citizen = phone.new_page()
    citizen.set_default_timeout(15_000)
    canonical = "+84" + F1_PHONE[1:]
    sign_in_citizen(citizen, lambda: sms.messages(canonical), F1_PHONE, "/inbox")
    citizen.wait_for_url("**/inbox")
    expect(citizen.get_by_test_id("inbox-unread")).to_have_text("1")
    notice = citizen.get_by_test_id("notice").first
    expect(notice).to_have_attribute("data-kind", "contact_alert")
    expect(notice).to_contain_text("phơi nhiễm (F1)")
    expect(notice).not_to_contain_text("Tạ Văn Phúc")  # the case is never named
    notice.locator("a").click()
    expect(citizen.get_by_test_id("notice-full")).to_contain_text("14")
    citizen.get_by_test_id("notice-action").click()
    citizen.wait_for_url("**/declare")
    citizen.goto("/inbox")
    expect(citizen.get_by_test_id("inbox-unread")).to_have_text("0")
    phone.close()
