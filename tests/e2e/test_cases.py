"""A health officer registers a case, runs the trace, sees F1 and F2 and exports the XLSX."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Page

from epitrace import localtime
from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import sign_in_staff
from tests.tracing import factories as f


def test_officer_registers_traces_and_exports(page: Page, db: Database, places: Any) -> None:
    now = datetime.now(UTC)
    start = (now - f.T0).total_seconds() / 60 - 3 * 24 * 60
    with db.session_scope() as s:
        factories.staff(s, username="yte", role="health_officer", area="79")
        f0 = f.person(s, "Tạ Văn Phúc", phone="0933000001")
        a = f.person(s, "Kiều Thị Mai", phone="0933000002")
        b = f.visitor(s, "Ông Sáu bán vé số")
        market = f.venue(s)
        f.presence(s, venue=market, who=f0, start=start, end=start + 60)
        f.presence(s, venue=market, who=a, start=start + 5, end=start + 50)
        f.presence(s, venue=market, who=a, start=start + 24 * 60, end=start + 24 * 60 + 30)
        f.presence(s, venue=market, who=b, start=start + 24 * 60, end=start + 24 * 60 + 30)

    sign_in_staff(page, "yte", factories.STAFF_PASSWORD)
    page.goto("/cases")
    page.get_by_test_id("new-case").click()
    # the laboratory gives the phone number only: the person is found and shown
    page.fill("#phone", "0933 000 001")
    sampled = (now - timedelta(days=1)).astimezone(localtime.zone())
    page.fill("#sampled_at", sampled.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#test_type", "pcr")
    page.get_by_test_id("save-case").click()
    candidates = page.get_by_test_id("person-candidates")
    assert "Tạ Văn Phúc" in candidates.inner_text()
    assert "093****001" in candidates.inner_text()
    assert page.get_by_test_id("candidate").first.is_checked()
    page.get_by_test_id("save-case").click()
    page.wait_for_url("**/cases/*")
    assert "Tạ Văn Phúc" in page.locator("h1").inner_text()

    page.get_by_test_id("run-trace").click()
    page.wait_for_selector("[data-testid=f1-table]")
    assert page.get_by_test_id("f1-count").inner_text() == "F1: 1"
    assert page.get_by_test_id("f2-count").inner_text() == "F2: 1"
    assert "Kiều Thị Mai" in page.get_by_test_id("f1-table").inner_text()
    assert "Ông Sáu bán vé số" in page.get_by_test_id("f2-table").inner_text()

    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    data = info.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Mức", "Họ và tên")
    assert [(r[0], r[1]) for r in rows[1:]] == [("F1", "Kiều Thị Mai"), ("F2", "Ông Sáu bán vé số")]
