"""Campaigns in Chromium on a phone-sized screen: a DIC official writes a campaign to a ward
and sees its preview (segments, cost), uploads a phone list to a second campaign and sees the
refusal report, launches the first, which waits for a second official; a province official
approves it and the delivery dashboard shows the queued messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from epitrace.config import Settings
from epitrace.db import Database
from tests import factories
from tests.alerts import factories as af
from tests.e2e.conftest import staff_page

LIST = "Số điện thoại\n0912345678\n0912 345 678\n12345\ngọi lại sau\n0987654321\n".encode()


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _new_campaign(page: Page, name: str, audience: str) -> None:
    page.goto("/campaigns")
    page.get_by_test_id("campaign-new").click()
    page.fill("#name", name)
    page.fill("#text_vi", "{name} ơi, hãy cài đặt ứng dụng và khai báo y tế tại {link}")
    page.fill("#text_en", "{name}, please sign up and declare your health at {link}")
    page.get_by_test_id(f"audience-{audience}").check()
    if audience == "units":
        page.fill("#unit_1", "Phường Bến Thành")
    _no_sideways_scroll(page)
    page.get_by_test_id("campaign-save").click()
    page.wait_for_url("**/campaigns/*-*")


def test_a_campaign_from_preview_to_the_dashboard(
    launch: Callable[..., Browser], db: Database, places: Any, live_server: str, settings: Settings
) -> None:
    settings.campaign_approval_threshold = 1  # two recipients: a second official must approve
    with db.session_scope() as s:
        factories.staff(s, username="sotttt-cd", role="dic_officer", area="79")
        factories.staff(s, username="tinh-cd", role="province_official", area="79")
        af.citizen(s, "0912000001", name="Lê Thị Hoa", ward="26743")
        af.citizen(s, "0912000002", name="Trần Văn Bình", ward="26743")
    browser = launch()
    dic = staff_page(browser, live_server, "sotttt-cd", phone=True)

    # a text with an unknown placeholder is refused and the form keeps it
    dic.goto("/campaigns/new")
    dic.fill("#name", "Thử")
    dic.fill("#text_vi", "Chào {ten}")
    dic.get_by_test_id("campaign-save").click()
    expect(dic.get_by_test_id("form-error")).to_contain_text("{ten}")
    expect(dic.locator("#text_vi")).to_have_value("Chào {ten}")

    # the campaign to a ward, with its preview
    _new_campaign(dic, "Vận động cài đặt Bến Thành", "units")
    expect(dic.get_by_test_id("preview-vi")).to_contain_text("Nguyễn Văn An ơi")
    expect(dic.get_by_test_id("preview-vi-size")).to_contain_text("1 phần tin SMS")
    expect(dic.get_by_test_id("preview-vi-size")).to_contain_text("800 đồng")
    expect(dic.get_by_test_id("preview-audience")).to_have_text("2")
    expect(dic.get_by_test_id("preview-cost")).to_contain_text("1.600")
    expect(dic.get_by_test_id("needs-approval")).to_be_visible()
    _no_sideways_scroll(dic)
    ward_campaign = dic.url

    # a second campaign to an uploaded list: the refusal report comes before storing
    _new_campaign(dic, "Danh sách nhà mạng", "phones")
    dic.set_input_files(
        "#phone-file", files=[{"name": "so.csv", "mimeType": "text/csv", "buffer": LIST}]
    )
    dic.get_by_test_id("phones-check").click()
    report = dic.get_by_test_id("refusal-report")
    expect(report).to_contain_text("trùng với số ở một dòng trước")
    expect(report).to_contain_text("không phải số di động Việt Nam hợp lệ")
    expect(report).to_contain_text("gọi lại sau")
    _no_sideways_scroll(dic)
    dic.get_by_test_id("phones-store").click()
    expect(dic.locator(".flash-info")).to_contain_text("Đã lưu các số hợp lệ")
    expect(dic.get_by_test_id("preview-audience")).to_have_text("2")

    # launching the ward campaign waits for a second official
    dic.goto(ward_campaign)
    dic.get_by_test_id("campaign-launch").click()
    expect(dic.get_by_test_id("campaign-status")).to_have_text("Chờ phê duyệt")
    expect(dic.get_by_test_id("approval-wait")).to_be_visible()
    expect(dic.get_by_test_id("campaign-approve")).to_have_count(0)

    # the province official approves; the single sending is queued at once
    province = staff_page(browser, live_server, "tinh-cd", phone=True)
    province.goto(ward_campaign)
    province.get_by_test_id("campaign-approve").click()
    expect(province.get_by_test_id("campaign-status")).to_have_text("Đã hoàn thành")
    expect(province.get_by_test_id("occurrences")).to_contain_text("2")

    # the dashboard shows the queued messages, by channel and by ward name
    dic.goto(ward_campaign)
    dic.get_by_test_id("campaign-dashboard-link").click()
    expect(dic.get_by_test_id("total-queued")).to_have_text("2")
    expect(
        dic.get_by_test_id("by-channel").locator('tr[data-channel="sms"] td[data-status="queued"]')
    ).to_have_text("2")
    expect(dic.get_by_test_id("by-ward")).to_contain_text("Phường Bến Thành")
    expect(dic.locator("#delivery-chart")).to_be_visible()
    _no_sideways_scroll(dic)
