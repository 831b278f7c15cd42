"""Forms keep what was typed: a refused value is explained beside its field, on the same page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database
from tests.e2e.conftest import sign_in_citizen


def test_an_ambiguous_ward_is_a_field_error_and_the_form_keeps_its_values(
    page: Page, places: Any, sms: FileSmsChannel, db: Database
) -> None:
    sign_in_citizen(page, lambda: sms.messages("+84912345678"), "0912345678", "/me")
    page.wait_for_url("**/me")
    profile = page.locator("form[action='/me/profile']")
    page.fill("#full_name", "Lê Thị Hồng")
    page.fill("#birth_year", "1985")
    page.fill("#ward_code", "phuong")  # several wards have this word
    page.fill("#address", "12 Lê Lợi")
    profile.locator("button[type=submit]").click()
    page.wait_for_url("**/me")
    expect(profile.get_by_test_id("form-error")).to_contain_text("Có nhiều đơn vị trùng tên")
    expect(profile.locator("#ward_code + .field-error")).to_be_visible()
    expect(page.locator("#ward_code")).to_have_attribute("aria-invalid", "true")
    # nothing typed is lost
    expect(page.locator("#full_name")).to_have_value("Lê Thị Hồng")
    expect(page.locator("#birth_year")).to_have_value("1985")
    expect(page.locator("#ward_code")).to_have_value("phuong")
    expect(page.locator("#address")).to_have_value("12 Lê Lợi")

    # the suggestions offer the ward by name, without diacritics typed
    page.fill("#ward_code", "ben thanh")
    expect(page.locator("#ward_code-list option")).to_have_count(1)
    option = page.locator("#ward_code-list option").first
    assert option.get_attribute("value") == "Phường Bến Thành, Thành phố Hồ Chí Minh"
    page.fill("#ward_code", "Phường Bến Thành, Thành phố Hồ Chí Minh")
    profile.locator("button[type=submit]").click()
    page.wait_for_url("**/me")
    expect(page.locator("#ward_code")).to_have_value("Phường Bến Thành, Thành phố Hồ Chí Minh")
    expect(page.get_by_test_id("form-error")).to_have_count(0)
