"""Purpose-bound access in Chromium: an officer states why they read a record, the
administrator sees the read in the access report, and reviews the flag it raised."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from playwright.sync_api import Browser, expect

from epitrace.accounts.models import Person
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.security import flows
from tests import factories
from tests.e2e.conftest import staff_page


def test_an_officer_states_a_purpose_and_the_admin_reviews_the_flag(
    launch: Callable[..., Browser], live_server: str, db: Database, places: Any, settings: Settings
) -> None:
    with db.session_scope() as s:
        s.add(Person(full_name="Lê Thị Hồng", ward_code="26743", phone="+84911222333"))
        factories.staff(s, username="bs-an", role="health_officer", area="79")
        factories.staff(s, username="qt-binh", role="system_admin", area=None)
    browser = launch()

    officer = staff_page(browser, live_server, "bs-an")
    officer.goto("/people?q=le thi hong")
    officer.get_by_test_id("open-record").click()
    expect(officer.get_by_test_id("purpose-form")).to_be_visible()
    expect(officer.locator("h1")).to_have_text("Vì sao bạn đọc hồ sơ này?")
    expect(officer.locator("main")).not_to_contain_text("Lê Thị Hồng")  # initials only
    officer.get_by_test_id("read-record").click()  # no purpose chosen
    expect(officer.locator("#purpose-error")).to_have_text("Hãy chọn mục đích.")
    officer.get_by_label("Người dân đề nghị hỗ trợ").check()
    officer.fill("#note", "Người dân gọi đường dây nóng hỏi kết quả xét nghiệm")
    officer.get_by_test_id("read-record").click()
    expect(officer.locator("h1")).to_contain_text("Lê Thị Hồng")
    expect(officer.get_by_test_id("record-purpose")).to_contain_text("Người dân đề nghị hỗ trợ")

    # the job runs after the window: with a limit of one person per window, the read is flagged
    strict = settings.model_copy(update={"access_flag_people": 0})
    with db.session_scope() as s:
        later = utcnow() + timedelta(minutes=settings.access_flag_window_minutes)
        assert flows.flag_unusual_access(s, strict, now=later) == 1

    admin = staff_page(browser, live_server, "qt-binh")
    admin.get_by_role("link", name="Truy cập hồ sơ cá nhân").click()
    report = admin.get_by_test_id("access-report")
    expect(report).to_contain_text("bs-an")
    expect(report).to_contain_text("Người dân đề nghị hỗ trợ: 1")
    flags = admin.get_by_test_id("access-flags")
    expect(flags).to_contain_text("Đọc hồ sơ nhiều người trong một khoảng thời gian ngắn")
    admin.get_by_label("Kết quả xem xét").fill("Đã hỏi cán bộ: người dân gọi đường dây nóng.")
    admin.get_by_test_id("review-flag").click()
    expect(admin.get_by_test_id("no-flags")).to_be_visible()
    admin.select_option("#by", "unit")
    admin.get_by_role("button", name="Xem").click()
    expect(admin.get_by_test_id("access-report")).to_contain_text("Thành phố Hồ Chí Minh")
