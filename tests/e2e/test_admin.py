"""A province's administrator manages the staff of their province in Chromium, and only them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import sign_in_staff


def test_province_admin_creates_grants_and_deactivates_within_the_province(
    page: Page, db: Database, places: Any
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="admin-hcm", role="system_admin", area="79")
        factories.staff(s, username="bs-hanoi", role="health_officer", area="01")
    sign_in_staff(page, "admin-hcm", factories.STAFF_PASSWORD)
    page.click("text=Tài khoản cán bộ và vai trò")
    users = page.get_by_test_id("users")
    assert "admin-hcm" in users.inner_text()
    assert "bs-hanoi" not in users.inner_text()

    # a role in another province is refused, and the form keeps what was typed
    page.fill("#username", "bs-lan")
    page.fill("#password", "a-long-password")
    page.select_option("#role", "health_officer")
    page.fill("#area_code", "01")
    page.click("text=Tạo")
    assert "trong địa bàn của mình" in page.locator("[role=alert]").inner_text()
    assert page.input_value("#username") == "bs-lan"

    page.fill("#password", "a-long-password")
    page.fill("#area_code", "79")
    page.click("text=Tạo")
    page.wait_for_url("**/admin/users/*")
    assert "Cán bộ y tế" in page.get_by_test_id("grants").inner_text()
    page.select_option("#role", "ward_official")
    page.fill("#area_code", "26743")
    page.click("button:text('Cấp')")
    assert "Phường Bến Thành" in page.get_by_test_id("grants").inner_text()
    page.click("text=Khoá tài khoản")
    assert page.get_by_test_id("account-status").inner_text() == "đã khoá"
    page.click("text=Tài khoản cán bộ và vai trò")
    assert "đã khoá" in page.get_by_test_id("users").inner_text()
