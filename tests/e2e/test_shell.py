"""A staff user signs in and out in Chromium; the shell speaks Vietnamese, then English."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import sign_in_staff


def test_staff_signs_in_browses_places_and_signs_out(page: Page, db: Database, places: Any) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="admin", role="system_admin", area=None)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.get_by_role("link", name="Cán bộ đăng nhập").first).to_be_visible()

    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    assert page.get_by_test_id("form-error").inner_text() == "Sai tên đăng nhập hoặc mật khẩu."

    sign_in_staff(page, "admin", factories.STAFF_PASSWORD)
    assert "Quản trị hệ thống" in page.get_by_test_id("roles").inner_text()
    page.click("text=Đơn vị hành chính")
    page.click("text=Thành phố Hồ Chí Minh")
    expect(page.locator("text=Phường Bến Thành")).to_be_visible()
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Administrative units"

    page.get_by_test_id("logout").click()
    page.wait_for_url("**/")
    page.goto("/staff")
    page.wait_for_url("**/login?next=/staff")
