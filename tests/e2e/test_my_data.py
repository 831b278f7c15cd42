"""A citizen's "My data" in Chromium, phone-sized: the copy (JSON and PDF), a health officer's
read of the record in the access history by role and unit, and an erasure request queued until
the day the check-ins no longer hold it; another citizen's request honoured at once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from epitrace import localtime
from epitrace.accounts.models import UserAccount
from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.accounts.sms import FileSmsChannel
from epitrace.cases.models import Case, CaseStatus
from epitrace.config import Settings
from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import PHONE, sign_in_citizen, staff_page
from tests.mydata.support import add_case, add_checkin
from tests.mydata.test_api import pdf_text

PHONE_NUMBER = "+84912345678"


def test_my_data_download_access_history_and_erasure(
    launch: Callable[..., Browser],
    live_server: str,
    places: Any,
    sms: FileSmsChannel,
    db: Database,
    settings: Settings,
    tmp_path: Path,
) -> None:
    browser = launch()
    context = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport=PHONE, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_citizen(page, lambda: sms.messages(PHONE_NUMBER), "0912345678", "/me")
    page.wait_for_url("**/me")
    page.fill("#full_name", "Lê Thị Hồng")
    page.click("form[action='/me/profile'] button[type=submit]")
    page.wait_for_url("**/me")

    with db.session_scope() as s:
        account = s.query(UserAccount).filter_by(phone=PHONE_NUMBER).one()
        person_id = account.person_id
    assert person_id is not None
    now = datetime.now(UTC)
    entered = now - timedelta(days=2)
    add_checkin(db, person_id, entered)
    case_id = add_case(db, person_id, now - timedelta(days=20))
    with db.session_scope() as s:  # a closed case: the record is kept, it holds nothing
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.recovered_at = CaseStatus.RECOVERED, now - timedelta(days=5)

    # the citizen's menu leads to "My data"
    page.get_by_role("link", name="Dữ liệu của tôi").click()
    page.wait_for_url("**/me/data")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dữ liệu của tôi")
    expect(page.get_by_test_id("access-empty")).to_be_visible()
    # the notice was shown above the code field: signing up accepted it
    expect(page.get_by_test_id("notice-accepted")).to_contain_text(
        f"Bạn đã đồng ý phiên bản {PRIVACY_NOTICE_VERSION}"
    )

    with page.expect_download() as json_download:
        page.get_by_test_id("download-json").click()
    saved = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
    me = saved["people"][0]
    assert (me["full_name"], me["phone"]) == ("Lê Thị Hồng", PHONE_NUMBER)
    assert me["checkins"][0]["venue_name"] == "Chợ Bến Thành"
    assert me["cases"][0]["status"] == "recovered"
    assert saved["notice"]["accepted"] is True
    with page.expect_download() as pdf_download:
        page.get_by_test_id("download-pdf").click()
    text = pdf_text(Path(pdf_download.value.path()).read_bytes(), tmp_path)
    assert "Dữ liệu của tôi / My data" in text
    assert "Lê Thị Hồng" in text and "Chợ Bến Thành" in text

    # a health officer of the city opens the case page, which names the citizen
    with db.session_scope() as s:
        factories.staff(s, username="bs-thu", role="health_officer", area="79")
    officer = staff_page(browser, live_server, "bs-thu")
    officer.goto(f"/cases/{case_id}")
    expect(officer.get_by_text("Lê Thị Hồng").first).to_be_visible()
    officer.context.close()

    page.reload()
    entry = page.get_by_test_id("access-entry").first
    expect(entry).to_contain_text("Cán bộ y tế — Thành phố Hồ Chí Minh")
    expect(entry).to_contain_text("xem Hồ sơ")
    expect(page.get_by_test_id("access-history")).not_to_contain_text("bs-thu")

    # erasure: refused without the confirmation, then queued until the check-in's period ends
    page.get_by_role("button", name="Yêu cầu xoá dữ liệu").click()
    expect(page.get_by_role("alert").first).to_contain_text("Hãy đánh dấu ô xác nhận")
    page.goto("/me/data")
    page.check("#erasure-confirm")
    page.get_by_role("button", name="Yêu cầu xoá dữ liệu").click()
    page.wait_for_url("**/me/data#erasure")
    possible = localtime.local_date(entered + timedelta(days=settings.retention_days)) + timedelta(
        days=1
    )
    status = page.get_by_test_id("erasure-status")
    expect(status).to_contain_text(f"vào ngày {possible:%d/%m/%Y}")
    expect(page.get_by_test_id("erasure")).to_contain_text("Có lượt khai báo vào/ra gần đây")
    with db.session_scope() as s:
        assert s.get(UserAccount, account.id) is not None  # nothing erased yet
    context.close()

    # a citizen whose data nothing holds is erased at once, and signed out with a receipt
    other = browser.new_context(base_url=live_server, locale="vi-VN", viewport=PHONE).new_page()
    other.set_default_timeout(15_000)
    sign_in_citizen(other, lambda: sms.messages("+84987654321"), "0987654321", "/me/data")
    other.wait_for_url("**/me/data")
    other.check("#erasure-confirm")
    other.get_by_role("button", name="Yêu cầu xoá dữ liệu").click()
    other.wait_for_url("**/erasure/*")
    expect(other.get_by_test_id("erasure-status")).to_contain_text("Dữ liệu của bạn đã được xoá")
    receipt = uuid.UUID(other.url.rsplit("/", 1)[1])
    expect(other.get_by_test_id("erasure-receipt")).to_contain_text(str(receipt))
    with db.session_scope() as s:
        assert s.query(UserAccount).filter_by(phone="+84987654321").one_or_none() is None
    other.goto("/me/data")
    other.wait_for_url("**/signin**")
    other.context.close()
