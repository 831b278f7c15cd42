"""Ad-hoc requests (báo cáo đột xuất) in Chromium on a phone-sized screen: the DIC sends a
request to two wards by name, one ward's official answers, the DIC sees one answered and one
missing, and reminds the missing one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import staff_page

ACCOUNTS = {
    "stttt-dx": ("dic_officer", "99"),
    "xa-mot-a-dx": ("ward_official", "99101"),
    "xa-mot-b-dx": ("ward_official", "99102"),
}


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_dic_asks_two_wards_and_sees_who_has_answered(
    launch: Callable[..., Browser], db: Database, places: Any, live_server: str
) -> None:
    with db.session_scope() as s:
        for username, (role, area) in ACCOUNTS.items():
            factories.staff(s, username=username, role=role, area=area)
    browser = launch()

    # the DIC sends the request to two wards, chosen by name
    dic = staff_page(browser, live_server, "stttt-dx", phone=True)
    dic.goto("/rollout")
    dic.get_by_role("link", name="Báo cáo đột xuất").click()
    dic.fill("#title", "Số tổ Covid cộng đồng")
    dic.fill("#questions", "Có bao nhiêu tổ Covid cộng đồng?\nKhó khăn chính là gì?")
    dic.fill("#unit_1", "Xã Một A")
    dic.fill("#unit_2", "Xã Một B")
    _no_sideways_scroll(dic)
    dic.get_by_test_id("adhoc-send").click()
    dic.wait_for_url("**/rollout/adhoc/*")
    total = dic.get_by_test_id("adhoc-total")
    expect(total).to_have_attribute("data-expected", "2")
    expect(total).to_have_attribute("data-answered", "0")
    request_url = dic.url

    # one ward's official opens it from the list and answers on the phone
    ward = staff_page(browser, live_server, "xa-mot-a-dx", phone=True)
    ward.goto("/rollout/adhoc")
    ward.get_by_role("link", name="Số tổ Covid cộng đồng — Xã Một A").click()
    ward.fill("#answer_1", "14 tổ")
    ward.fill("#answer_2", "Thiếu điện thoại thông minh")
    _no_sideways_scroll(ward)
    ward.get_by_test_id("adhoc-answer-send").click()
    expect(ward.get_by_test_id("adhoc-answer-status")).to_have_attribute("data-answered", "yes")
    expect(ward.locator("#answer_1")).to_have_value("14 tổ")

    # the DIC sees one answered and one missing, with the answer
    dic.goto(request_url)
    expect(total).to_have_attribute("data-answered", "1")
    units = dic.get_by_test_id("adhoc-units")
    expect(units.locator('li[data-code="99101"]')).to_have_attribute("data-answered", "yes")
    expect(units.locator('li[data-code="99101"]')).to_contain_text("14 tổ")
    expect(units.locator('li[data-code="99102"]')).to_have_attribute("data-answered", "no")
    _no_sideways_scroll(dic)

    # and reminds the ward that has not answered, which finds the notice
    dic.get_by_test_id("adhoc-remind").click()
    expect(dic.locator(".flash").first).to_contain_text("Đã gửi nhắc nhở tới 1 đơn vị")
    other = staff_page(browser, live_server, "xa-mot-b-dx", phone=True)
    other.goto("/inbox")
    expect(other.locator("main")).to_contain_text("Đôn đốc: báo cáo đột xuất Số tổ Covid cộng đồng")
