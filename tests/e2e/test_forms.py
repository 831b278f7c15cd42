"""Forms keep what was typed: a refused value is explained beside its field, on the same page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database
from tests.e2e.conftest import sign_in_citizen


def test_relative_born_in_the_future_is_a_field_error_and_the_form_keeps_its_values(
    page: Page, places: Any, sms: FileSmsChannel, db: Database
) -> None:
    sign_in_citizen(page, lambda: sms.messages("+84912345678"), "0912345678", "/me")
    page.wait_for_url("**/me")
    page.fill("#dep_name", "Nguyễn Thị Mai")
    page.fill("#dep_year", "2099")
    page.fill("#dep_rel", "mẹ")
    page.click("form[action='/me/dependents'] button[type=submit]")
    form = page.locator("form[action='/me/dependents']")
    expect(form.get_by_test_id("form-error")).to_contain_text("1900")
    expect(form.locator("#dep_year + .field-error")).to_be_visible()
    expect(page.locator("#dep_year")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/me")
    # nothing typed is lost
    assert page.input_value("#dep_name") == "Nguyễn Thị Mai"
    assert page.input_value("#dep_year") == "2099"
    assert page.input_value("#dep_rel") == "mẹ"

    page.fill("#dep_year", "1960")
    page.click("form[action='/me/dependents'] button[type=submit]")
    expect(page.get_by_test_id("dependents")).to_contain_text("Nguyễn Thị Mai (1960)")
    expect(page.get_by_test_id("form-error")).to_have_count(0)
