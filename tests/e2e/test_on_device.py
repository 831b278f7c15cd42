"""On-device mode in Chromium: a phone keeps its visit, a health officer marks the venue as a
hotspot, and the phone — matching the signed notice by itself — shows the warning."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import func, select

from epitrace.accounts import service as account_service
from epitrace.accounts.sms import FileSmsChannel
from epitrace.checkins.models import Presence, ScanReceipt
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.declarations import passes
from epitrace.declarations.passes import Colour
from epitrace.ondevice import notices, service
from epitrace.ondevice.models import AnonymousVisitCount
from epitrace.security import tokens
from epitrace.security.keys import Keyring
from epitrace.venues import posters
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests import factories
from tests.e2e.conftest import PHONE, fake_camera_args, sign_in_citizen, staff_page, write_y4m

CITIZEN = "0912345678"
CANONICAL = "+84912345678"
INSTRUCTIONS_VI = "Hãy đến trạm y tế phường Bến Thành để xét nghiệm trong 24 giờ."
INSTRUCTIONS_EN = "Go to the ward health station for a test within 24 hours."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings, with check-ins kept on the phones."""
    return settings.model_copy(update={"privacy_mode": "on-device"})


def _venue(db: Database, keyring: Keyring, base_url: str) -> tuple[str, Image.Image]:
    with db.session_scope() as s:
        venue = venue_service.create(
            s,
            name="Chợ Bến Thành",
            category=VenueCategory.MARKET,
            ward_code="26743",
            address="Lê Lợi",
        )
        token = venue_service.token_for(keyring, venue)
        text = posters.PosterText(
            venue.name, venue.address, "Phường Bến Thành", "Chợ", f"{base_url}/c/{token}"
        )
        return token, Image.open(io.BytesIO(posters.png(text, size="a5")))


def _rows(db: Database) -> tuple[int, int, int]:
    with db.session_scope() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Presence)) or 0),
            int(s.scalar(select(func.count()).select_from(ScanReceipt)) or 0),
            int(s.scalar(select(func.sum(AnonymousVisitCount.visits))) or 0),
        )


VERIFY_BOTH = """async () => {
  const h = window.epitrace.hotspots;
  const list = await (await fetch('/api/v1/hotspot-notices/keys')).json();
  const keys = await h.importKeys(list.keys);
  const notice = (await (await fetch('/api/v1/hotspot-notices')).json()).notices[0];
  const fields = JSON.parse(new TextDecoder().decode(Uint8Array.from(
    atob(notice.payload.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0))));
  fields.instructions.vi = 'Không cần làm gì.';
  const bytes = new TextEncoder().encode(JSON.stringify(fields));
  let raw = ''; bytes.forEach(b => { raw += String.fromCharCode(b); });
  const forged = Object.assign({}, notice, {
    payload: btoa(raw).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')});
  const genuine = await h.verify(notice, keys);
  return {id: notice.id, genuine: genuine !== null, forged: await h.verify(forged, keys),
          tag: genuine && genuine.venue};
}"""


def _tamper(route: Route) -> None:
    """Serve the notice list with each payload's instructions changed (signature kept)."""
    reply = route.fetch()
    body = reply.json()
    for item in body["notices"]:
        text = tokens.b64decode(item["payload"]).decode().replace("xét nghiệm", "đi chơi")
        item["payload"] = tokens.b64encode(text.encode())
    route.fulfill(response=reply, json=body)


def test_phone_keeps_the_visit_and_warns_after_a_hotspot_notice(
    launch: Any,
    live_server: str,
    app: FastAPI,
    db: Database,
    places: Any,
    sms: FileSmsChannel,
    tmp_path: Path,
) -> None:
    keyring: Keyring = app.state.keyring
    token, poster = _venue(db, keyring, live_server)
    with db.session_scope() as s:
        factories.staff(s, username="yte-79", role="health_officer", area="79")
    y4m = write_y4m(poster, tmp_path / "camera.y4m", size=(960, 720))
    browser: Browser = launch(*fake_camera_args(y4m))

    # the phone scans the venue's poster: the visit stays on the phone
    phone: Page = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport=PHONE
    ).new_page()
    phone.set_default_timeout(20_000)
    sign_in_citizen(phone, lambda: sms.messages(CANONICAL), CITIZEN, "/checkins/scan")
    phone.wait_for_url("**/checkins/scan")
    phone.get_by_test_id("start-camera").click()
    expect(phone.get_by_test_id("scan-result")).to_have_text("Đã khai báo vào Chợ Bến Thành.")
    assert _rows(db) == (0, 0, 1)  # no presence, no receipt: one anonymous count
    phone.goto("/checkins")
    visit = phone.get_by_test_id("visit")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text("Chợ Bến Thành")
    expect(visit).to_contain_text("đang ở trong")
    phone.goto("/me")
    expect(phone.get_by_test_id("hotspot-warnings")).to_have_attribute("data-checked", "0")
    expect(phone.get_by_test_id("hotspot-warnings")).to_be_hidden()

    # the health officer marks the venue and the last hours as a hotspot
    officer = staff_page(browser, live_server, "yte-79")
    officer.goto("/hotspot-notices")
    officer.get_by_label("Địa điểm", exact=True).select_option(
        label="Chợ Bến Thành — Phường Bến Thành"
    )
    officer.get_by_label("Người đến cần làm gì").select_option("get_tested")
    officer.get_by_label("Hướng dẫn bằng tiếng Việt").fill(INSTRUCTIONS_VI)
    officer.get_by_label("Hướng dẫn bằng tiếng Anh (không bắt buộc)").fill(INSTRUCTIONS_EN)
    officer.get_by_test_id("publish-notice").click()
    officer.wait_for_url("**/hotspot-notices")
    expect(officer.locator(".flash").first).to_have_text(
        "Đã phát hành thông báo điểm nóng cho Chợ Bến Thành."
    )
    expect(officer.get_by_test_id("notice")).to_contain_text("đã phát hành")

    # the phone fetches the notices, verifies and matches them, and warns
    phone.reload()
    warnings = phone.get_by_test_id("hotspot-warnings")
    expect(warnings).to_be_visible()
    expect(warnings).to_contain_text("Cảnh báo: một nơi bạn đã đến là điểm nóng")
    expect(phone.get_by_test_id("hotspot-warning")).to_contain_text("Đi xét nghiệm")
    expect(phone.get_by_test_id("hotspot-warning")).to_contain_text("Chợ Bến Thành")
    expect(phone.get_by_test_id("hotspot-warning")).to_contain_text("mới")
    expect(phone.get_by_test_id("hotspot-instructions")).to_have_text(INSTRUCTIONS_VI)
    # a matched notice is remembered: not shown as new the second time
    phone.reload()
    expect(phone.get_by_test_id("hotspot-instructions")).to_have_text(INSTRUCTIONS_VI)
    expect(phone.get_by_test_id("hotspot-warning")).not_to_contain_text("mới")
    # in English, the English instructions
    phone.goto("/lang/en?next=/me")
    expect(phone.get_by_test_id("hotspot-instructions")).to_have_text(INSTRUCTIONS_EN)
    phone.goto("/lang/vi?next=/me")
    # the page has stored what it fetched (before it says what it checked): nothing of this
    # load may write the notices back after the storage is cleared below
    expect(phone.get_by_test_id("hotspot-warnings")).to_have_attribute("data-checked", "1")

    # the phone's own check: a genuine notice verifies, an altered one does not, and the
    # venue tag the phone computes is the server's
    checked = phone.evaluate(VERIFY_BOTH)
    assert checked["genuine"] is True
    assert checked["forged"] is None
    assert checked["tag"] == notices.venue_tag(notices.venue_secret(token), checked["id"])
    assert (
        phone.evaluate(
            "([t, id]) => window.epitrace.hotspots.tagFor(t, id)", [token, checked["id"]]
        )
        == checked["tag"]
    )

    # a tampered list (signature kept, instructions changed) shows no warning
    phone.evaluate(
        "() => ['epitrace.hotspotNotices', 'epitrace.hotspotSince', 'epitrace.hotspotSeen']"
        ".forEach(k => localStorage.removeItem(k))"
    )
    pattern = re.compile(r"/api/v1/hotspot-notices(\?.*)?$")
    phone.route(pattern, _tamper)
    phone.reload()
    expect(phone.get_by_test_id("hotspot-warnings")).to_have_attribute("data-checked", "0")
    expect(phone.get_by_test_id("hotspot-warnings")).to_be_hidden()
    phone.unroute(pattern)

    # withdrawn by the officer: the phone drops the warning
    phone.reload()
    expect(phone.get_by_test_id("hotspot-instructions")).to_have_text(INSTRUCTIONS_VI)
    officer.get_by_test_id("withdraw-notice").click()
    officer.wait_for_url("**/hotspot-notices")
    expect(officer.get_by_test_id("notice")).to_contain_text("đã thu hồi")
    phone.reload()
    expect(phone.get_by_test_id("hotspot-warnings")).to_have_attribute("data-checked", "0")
    expect(phone.get_by_test_id("hotspot-warnings")).to_be_hidden()
    assert _rows(db) == (0, 0, 1)


def test_venue_page_keeps_the_visit_and_the_door_only_counts_passes(
    launch: Any, live_server: str, app: FastAPI, db: Database, places: Any, tmp_path: Path
) -> None:
    keyring: Keyring = app.state.keyring
    token, _poster = _venue(db, keyring, live_server)
    with db.session_scope() as s:
        factories.staff(s, username="cua-cho", role="venue_operator", area="26743")
        account = account_service.get_by_username(s, username="cua-cho")
        venue = venue_service.resolve_token(s, keyring, token)
        venue_service.add_operator(s, venue=venue, user_id=account.id)  # type: ignore[union-attr]
        venue_id = venue.id
    text = passes.issue(keyring, pseudonym="A" * 12, colour=Colour.GREEN, now=utcnow())
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    y4m = write_y4m(Image.open(buffer), tmp_path / "pass.y4m")
    browser: Browser = launch(*fake_camera_args(y4m))

    # the phone camera app opens the venue's address: one tap, no sign-in, kept on the phone
    phone = browser.new_context(base_url=live_server, locale="vi-VN", viewport=PHONE).new_page()
    phone.goto(f"/c/{token}")
    expect(phone.get_by_test_id("venue-name")).to_have_text("Chợ Bến Thành")
    phone.get_by_test_id("device-checkin-button").click()
    expect(phone.get_by_test_id("device-checkin-result")).to_have_text(
        "Đã khai báo vào Chợ Bến Thành."
    )
    expect(phone.get_by_test_id("device-checkin-button")).to_have_text("Khai báo ra")
    kept = phone.evaluate("() => JSON.parse(localStorage.getItem('epitrace.visits'))")
    assert [(v["venue_name"], v["left_at"]) for v in kept] == [("Chợ Bến Thành", None)]
    assert _rows(db) == (0, 0, 1)
    # a code the server does not know as a venue's leaves no visit on the phone
    forged = token[:-8] + "AAAAAAAA"
    outcome = phone.evaluate("t => window.epitrace.visits.record(t).then(r => r.outcome)", forged)
    assert outcome == "refused"
    kept = phone.evaluate("() => JSON.parse(localStorage.getItem('epitrace.visits'))")
    assert [(v["venue_name"], v["left_at"]) for v in kept] == [("Chợ Bến Thành", None)]
    assert _rows(db) == (0, 0, 1)

    # the door: the pass is checked and counted, nobody is named or recorded
    door = staff_page(browser, live_server, "cua-cho")
    door.goto(f"/venues/{venue_id}/door")
    expect(door.get_by_test_id("door-on-device")).to_be_visible()
    expect(door.get_by_label("Họ và tên")).to_have_count(0)
    door.get_by_test_id("start-camera").click()
    expect(door.get_by_test_id("door-message")).to_have_text(
        "Thẻ hợp lệ: đã đếm lượt vào (không ghi tên)."
    )
    expect(door.get_by_test_id("door-colour")).to_have_attribute("data-colour", "green")
    expect(door.get_by_test_id("door-name")).to_have_text("")
    assert _rows(db) == (0, 0, 2)


ASK_THE_WORKER = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const channel = new MessageChannel();
  const answer = new Promise(resolve => { channel.port1.onmessage = e => resolve(e.data); });
  registration.active.postMessage({type: 'check-hotspots'}, [channel.port2]);
  const reply = await answer;
  const shown = await registration.getNotifications();
  return {fresh: reply.fresh, titles: shown.map(n => n.title), bodies: shown.map(n => n.body)};
}"""


def test_the_service_worker_checks_the_notices_in_the_background(
    launch: Any, live_server: str, app: FastAPI, db: Database, places: Any
) -> None:
    keyring: Keyring = app.state.keyring
    token, _poster = _venue(db, keyring, live_server)
    browser: Browser = launch()
    context = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport=PHONE, service_workers="allow"
    )
    context.grant_permissions(["notifications"])
    phone = context.new_page()
    phone.goto(f"/c/{token}")
    phone.get_by_test_id("device-checkin-button").click()
    expect(phone.get_by_test_id("device-checkin-result")).to_have_text(
        "Đã khai báo vào Chợ Bến Thành."
    )
    phone.wait_for_function("() => navigator.serviceWorker.ready.then(r => Boolean(r.active))")
    assert phone.evaluate(ASK_THE_WORKER)["fresh"] == 0  # nothing published yet

    with db.session_scope() as s:
        venue = venue_service.resolve_token(s, keyring, token)
        service.publish(
            s,
            keyring=keyring,
            venue=venue,
            starts_at=utcnow() - timedelta(hours=1),
            ends_at=utcnow(),
            severity="monitor_symptoms",
            instructions_vi=INSTRUCTIONS_VI,
            actor=None,
            now=utcnow(),
            retention_days=21,
        )
    first = phone.evaluate(ASK_THE_WORKER)
    assert first["fresh"] == 1
    assert first["titles"] == ["Cảnh báo: một nơi bạn đã đến là điểm nóng"]
    assert first["bodies"] == [INSTRUCTIONS_VI]
    assert phone.evaluate(ASK_THE_WORKER)["fresh"] == 0  # remembered: not new again
    # the page shows the warning, not as new: the worker already announced it
    phone.goto("/")
    expect(phone.get_by_test_id("hotspot-instructions")).to_have_text(INSTRUCTIONS_VI)
    expect(phone.get_by_test_id("hotspot-warning")).not_to_contain_text("mới")
