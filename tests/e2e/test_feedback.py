"""A citizen sends feedback with a photo in Chromium; the ward official answers and closes it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Browser, Page

from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import sign_in_citizen, sign_in_staff


def test_feedback_reaches_the_ward_and_the_answer_comes_back(
    page: Page,
    places: Any,
    sms: FileSmsChannel,
    db: Database,
    launch: Callable[..., Browser],
    live_server: str,
    tmp_path: Path,
) -> None:
    photo = tmp_path / "cho.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 60)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    fake = tmp_path / "virus.png"
    fake.write_bytes(b"MZ this is not a picture")

    sign_in_citizen(page, lambda: sms.messages("+84912345678"), "0912345678", "/feedback")
    page.wait_for_url("**/feedback")
    page.select_option("#category", "gathering")
    page.select_option("#place-0", "79")
    page.wait_for_selector("#place-1 option[value='26743']", state="attached")
    page.select_option("#place-1", "26743")
    page.fill("#text", "Nhóm người tụ tập trước chợ")
    page.set_input_files("#photo", str(fake))
    page.click("form[action='/feedback'] button[type=submit]")
    assert page.inner_text("[data-field=photo]") == "Hãy gửi ảnh JPEG, PNG hoặc WebP."
    assert page.input_value("#text") == "Nhóm người tụ tập trước chợ"
    assert page.input_value("#place-1") == "26743"  # the chosen ward is kept
    page.set_input_files("#photo", str(photo))
    page.click("form[action='/feedback'] button[type=submit]")
    page.wait_for_selector("[data-testid=my-feedback]")
    assert "Đang chờ trả lời" in page.get_by_test_id("my-feedback").inner_text()

    with db.session_scope() as s:
        factories.staff(s, username="phuong-ben-thanh", role="ward_official", area="26743")
    staff = launch().new_context(base_url=live_server, locale="vi-VN").new_page()
    sign_in_staff(staff, "phuong-ben-thanh", factories.STAFF_PASSWORD)
    staff.click("text=Phản ánh của người dân")
    item = staff.get_by_test_id("inbox-item")
    assert "Nhóm người tụ tập trước chợ" in item.inner_text()
    with staff.expect_response(lambda r: r.url.endswith("/photo")) as shown:
        staff.click("text=Ảnh")
    assert shown.value.headers["content-type"] == "image/png"
    staff.go_back()
    staff.fill("textarea[name=answer]", "Công an phường đã giải tán nhóm tụ tập.")
    staff.check("input[name=close]")
    staff.click("text=Lưu trả lời")
    staff.wait_for_selector("text=Đã lưu câu trả lời.")

    page.reload()
    answer = page.get_by_test_id("feedback-answer").inner_text()
    assert "Công an phường đã giải tán nhóm tụ tập." in answer
    assert "Đã đóng" in page.get_by_test_id("my-feedback").inner_text()
