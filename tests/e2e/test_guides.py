"""A visitor finds the passengers' guide from the home page on a phone-sized screen."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_guide_from_the_home_page_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.get_by_role("link", name="Hướng dẫn cài đặt ứng dụng và quét mã QR").click()
    page.get_by_role("link", name="Hành khách: quét mã trước khi lên xe").click()
    expect(page.get_by_test_id("guide-steps")).to_contain_text(
        "Quét mã QR dán trên xe trước khi lên xe."
    )
    assert "/guides/passengers/qr.png" in page.get_by_test_id("snippet").input_value()
    with page.expect_download() as download:
        page.get_by_test_id("leaflet").click()
    assert download.value.suggested_filename == "huong-dan-passengers.pdf"
