"""In Chromium: an officer issues a code, a phone uploads keys with it, a contact's phone
matches the published file and reports back, and the citizen sees the warning."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from epitrace import localtime
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.exposure import exportfile
from epitrace.exposure import service as exposure_service
from epitrace.exposure.device import Device, fetch_exports
from epitrace.security.keys import Keyring
from tests import factories
from tests.e2e.conftest import sign_in_citizen, sign_in_staff


def test_code_upload_match_and_warning(
    page: Page, db: Database, settings: Settings, places: Any, sms: Any, live_server: str
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="bacsi", role="health_officer", area="79")
    sign_in_staff(page, "bacsi", factories.STAFF_PASSWORD)
    page.click("text=Mã xác minh Bluetooth")
    page.select_option("#area_code", "79")
    page.fill("#test_date", localtime.today().isoformat())
    page.click("button:has-text('Cấp mã')")
    code = page.get_by_test_id("code").inner_text()
    assert len(code) == 9 and code[4] == "-"

    # two phones meet for 40 minutes yesterday; the case uploads with the code
    case, contact = Device(), Device()
    met = datetime.now(UTC).replace(hour=3, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for minute in range(0, 40, 5):
        t = met + timedelta(minutes=minute)
        contact.record(case.payload(t), rssi=-60, at=t, seconds_since_last_scan=300)
    keys = case.keys_for_upload(datetime.now(UTC))
    body = {
        "verification_code": code,
        "keys": [
            {"key_data": base64.b64encode(k.key_data).decode(),
             "rolling_start_interval_number": k.rolling_start_interval_number,
             "rolling_period": k.rolling_period}
            for k in keys
        ],
    }  # fmt: skip
    response = page.request.post("/api/v1/exposure/keys", data=body)
    assert response.status == 201, response.text()
    with db.session_scope() as s:
        exposure_service.publish_exports(
            s,
            keyring=Keyring(settings.keys_dir),
            exports_dir=settings.exports_dir,
            now=datetime.now(UTC) + timedelta(days=1),
        )
    # the phone downloads over real HTTP with the SDK's own client
    files = fetch_exports(live_server)
    assert len(files) == len(page.request.get("/api/v1/exposure/exports/index.txt").text().split())
    public_key = exportfile.load_public_key(
        page.request.get("/api/v1/exposure/public-key.pem").body()
    )
    days = contact.check(files, public_key=public_key)
    assert [d.day for d in days if d.exposed] == [met.date()]

    # the contact's owner signs in and lets the phone report the exposure to their account
    page.get_by_test_id("logout").click()
    sign_in_citizen(page, lambda: sms.messages("+84912000111"), "0912000111")
    page.goto("/me/exposure")
    expect(page.get_by_test_id("no-exposure")).to_be_visible()
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    report = page.request.post(
        "/api/v1/exposure/reports",
        data={"consent": True, "exposure_date": met.date().isoformat(), "score": days[0].score_sum,
              "windows": days[0].windows, "attach_to_account": True,
              "idempotency_key": "e2e-phone-1"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert report.status == 202, report.text()
    page.goto("/me")
    page.click("text=Cảnh báo tiếp xúc qua Bluetooth")
    warning = page.get_by_test_id("exposure-warning")
    expect(warning).to_be_visible()  # waits for the page the click opens
    assert met.strftime("%d/%m/%Y") in warning.inner_text()
    assert "115" in page.get_by_test_id("what-to-do").inner_text()
