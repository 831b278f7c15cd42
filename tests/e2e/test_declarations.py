"""A citizen declares in Chromium, sees the status and the pass; a door scans the pass."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno
from PIL import Image
from playwright.sync_api import Browser, Page

from epitrace.accounts import service as account_service
from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests import factories
from tests.e2e.conftest import fake_camera_args, sign_in_citizen, sign_in_staff, write_y4m
from tests.qr import decode_qr

PHONE = "0912345678"


def sign_in(page: Page, sms: FileSmsChannel, next_path: str) -> None:
    sign_in_citizen(page, lambda: sms.messages("+84912345678"), PHONE, next_path)
    page.wait_for_url(f"**{next_path}")


def fill_identity(page: Page) -> None:
    page.fill("#full_name", "Nguyễn Văn An")
    page.fill("#id_number", "079090123456")
    page.fill("#birth_year", "1990")
    page.select_option("#gender", "male")
    page.select_option("#place-0", "79")
    page.wait_for_selector("#place-1 option[value='26743']", state="attached")
    page.select_option("#place-1", "26743")
    page.fill("#street", "12 Lê Lợi")
    page.fill("#phone", PHONE)


def declare_with_symptoms(page: Page, sms: FileSmsChannel) -> str:
    """Declare fever in the browser, check the status and the pass; return the pass text."""
    sign_in(page, sms, "/declare")
    fill_identity(page)
    page.check("#symptom-fever")
    page.check("#exposure-symptomatic")
    page.check("#consent")
    page.get_by_test_id("submit-declaration").click()
    page.wait_for_url("**/declarations/mine**")
    card = page.get_by_test_id("status-card").first
    assert card.get_by_test_id("status-colour").get_attribute("data-colour") == "yellow"
    assert card.get_by_test_id("status-colour").inner_text() == "Vàng"
    assert card.get_by_test_id("status-reason").inner_text() == (
        "Đã khai báo có triệu chứng trong 14 ngày qua."
    )

    page.click("text=Xem mã QR cá nhân")
    page.wait_for_url("**/pass")
    pass_card = page.get_by_test_id("pass-card").first
    assert pass_card.get_by_test_id("pass-colour").get_attribute("data-colour") == "yellow"
    assert "triệu chứng" in pass_card.get_by_test_id("pass-reason").inner_text()
    qr = pass_card.get_by_test_id("pass-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    text = pass_card.get_by_test_id("pass-text").inner_text().strip()
    assert decode_qr(Image.open(io.BytesIO(qr.screenshot()))) == [text]
    return text


def test_citizen_declares_symptoms_sees_yellow_and_the_pass(
    page: Page, places: Any, sms: FileSmsChannel
) -> None:
    text = declare_with_symptoms(page, sms)
    assert text.startswith("EPP1.")
    # the page renews the pass by itself (on its timer, and when it becomes visible again)
    with page.expect_response(lambda r: "/api/v1/passes/" in r.url) as renewal:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    fresh = renewal.value.json()
    assert fresh["colour"] == "yellow" and fresh["text"].startswith("EPP1.")
    page.wait_for_function(
        "t => document.querySelector('[data-testid=pass-text]').textContent.trim() === t",
        arg=fresh["text"],
    )
    expiry = page.get_by_test_id("pass-expiry").get_attribute("datetime") or ""
    assert expiry.replace("+00:00", "Z")[:19] == fresh["expires_at"].replace("+00:00", "Z")[:19]


def test_invalid_input_shows_field_errors_in_vietnamese(
    page: Page, places: Any, sms: FileSmsChannel
) -> None:
    sign_in(page, sms, "/declare")
    fill_identity(page)
    page.fill("#id_number", "12345")
    page.fill("#dose_0", "2021-10-01")
    page.fill("#dose_1", "2021-09-01")
    page.check("#symptom-other")
    page.get_by_test_id("submit-declaration").click()
    page.wait_for_selector("#err-id_number")
    assert page.get_by_test_id("form-error").inner_text() == "Một số trường chưa hợp lệ."
    assert page.inner_text("#err-id_number") == "Số căn cước công dân (CCCD) gồm đúng 12 chữ số."
    assert page.inner_text("#err-dose_1") == "Mỗi mũi tiêm phải sau mũi trước."
    assert page.inner_text("#err-other_symptom") == "Hãy mô tả triệu chứng khác."
    assert "đồng ý cho sử dụng dữ liệu" in page.inner_text("#err-consent")
    # what was typed is kept, including the ward chosen with the pickers
    assert page.input_value("#full_name") == "Nguyễn Văn An"
    assert page.input_value("#place-1") == "26743"


def test_door_page_scans_the_pass_from_a_fake_camera_and_sees_yellow(
    page: Page,
    places: Any,
    sms: FileSmsChannel,
    db: Database,
    launch: Callable[..., Browser],
    live_server: str,
    tmp_path: Path,
) -> None:
    text = declare_with_symptoms(page, sms)
    with db.session_scope() as s:
        factories.staff(s, username="cua-cho", role="venue_operator", area="26743")
        venue = venue_service.create(
            s,
            name="Chợ Bến Thành",
            category=VenueCategory.MARKET,
            ward_code="26743",
            address="Lê Lợi",
        )
        operator = account_service.get_by_username(s, username="cua-cho")
        assert operator is not None
        venue_service.add_operator(s, venue=venue, user_id=operator.id)
        venue_id = venue.id

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    image = Image.open(io.BytesIO(buffer.getvalue()))
    camera = write_y4m(image, tmp_path / "pass.y4m")
    browser = launch(*fake_camera_args(camera))
    context = browser.new_context(base_url=live_server, locale="vi-VN")
    door = context.new_page()
    door.set_default_timeout(20_000)
    sign_in_staff(door, "cua-cho", factories.STAFF_PASSWORD)
    door.goto(f"/venues/{venue_id}/door")
    door.get_by_test_id("start-camera").click()
    door.wait_for_selector("[data-testid=door-colour][data-colour=yellow]")
    assert door.get_by_test_id("door-colour").inner_text() == "Vàng"
    assert door.get_by_test_id("door-name").inner_text() == "Nguyễn Văn An"
    context.close()
