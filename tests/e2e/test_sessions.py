"""In Chromium: anonymous visitors reach the right sign-in and come back; signing out ends the
session for good, and 'sign out everywhere' ends the other browser's session too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from epitrace.db import Database
from tests import factories

PHONE = "0912 345 670"
CANONICAL = "+84912345670"


def _sign_in_with_code(page: Page, sms: Any) -> None:
    page.fill("#phone", PHONE)
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    text = sms.messages(CANONICAL)[-1]["text"]
    page.fill("#code", next(w.rstrip(",") for w in text.split() if w.rstrip(",").isdigit()))
    page.click("button[type=submit]")


def test_citizen_and_staff_pages_send_visitors_to_their_own_sign_in(
    page: Page, db: Database, places: Any, sms: Any, live_server: str
) -> None:
    page.goto("/declarations/mine")
    page.wait_for_url("**/signin?next=/declarations/mine")
    expect(page.locator("#phone")).to_be_visible()
    _sign_in_with_code(page, sms)
    page.wait_for_url(f"{live_server}/declarations/mine")

    with db.session_scope() as s:
        factories.staff(s, username="bs-e2e", role="health_officer", area="79")
    staff = page.context.browser.new_context(base_url=live_server, locale="vi-VN")  # type: ignore[union-attr]
    other = staff.new_page()
    other.goto("/cases?tab=open")
    other.wait_for_url("**/login?next=/cases%3Ftab%3Dopen")
    other.fill("#username", "bs-e2e")
    other.fill("#password", factories.STAFF_PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(f"{live_server}/cases?tab=open")
    staff.close()

    # a forged next that points elsewhere is dropped: the sign-in ends at the home page
    page.goto("/login?next=//evil.example/")
    assert page.input_value("input[name=next]") == ""


def test_sign_out_everywhere_ends_the_other_browsers_session(
    launch: Callable[..., Browser], db: Database, places: Any, live_server: str
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="bs-hai-may", role="health_officer", area="79")
    browser = launch()
    laptop = browser.new_context(base_url=live_server, locale="vi-VN").new_page()
    phone = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport={"width": 390, "height": 800}
    ).new_page()
    for tab in (laptop, phone):
        tab.goto("/login")
        tab.fill("#username", "bs-hai-may")
        tab.fill("#password", factories.STAFF_PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url("**/staff")
    # a copy of the phone's cookie, taken before it signs out, is worthless afterwards
    copied = phone.context.cookies()
    thief = browser.new_context(base_url=live_server, locale="vi-VN")
    thief.add_cookies(copied)
    phone.click("[data-testid=logout]")
    phone.wait_for_url(f"{live_server}/")
    stolen = thief.new_page()
    stolen.goto("/staff")
    stolen.wait_for_url("**/login?next=/staff")
    thief.close()

    laptop.click("[data-testid=account-link]")
    laptop.wait_for_url("**/account")
    assert laptop.get_by_test_id("sessions").locator("tbody tr").count() == 1
    phone.goto("/login")
    phone.fill("#username", "bs-hai-may")
    phone.fill("#password", factories.STAFF_PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/staff")
    laptop.reload()
    assert laptop.get_by_test_id("sessions").locator("tbody tr").count() == 2
    laptop.click("[data-testid=sign-out-everywhere]")
    laptop.wait_for_url("**/login")
    assert "đăng xuất trên mọi thiết bị" in laptop.locator("[role=status]").inner_text()
    phone.goto("/cases")
    phone.wait_for_url("**/login?next=/cases")
