"""Check-in in Chromium: venue URL, camera scanner, offline queue, and the door scanner."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import segno
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.accounts.sms import FileSmsChannel
from epitrace.checkins.models import Presence, ScanReceipt
from epitrace.db import Database, utcnow
from epitrace.declarations import passes
from epitrace.declarations.passes import Colour
from epitrace.security.keys import Keyring
from epitrace.venues import posters
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests import factories
from tests.e2e.conftest import fake_camera_args, sign_in_citizen, sign_in_staff, write_y4m

PHONE = "0912345678"
CANONICAL = "+84912345678"


def _venue(db: Database, keyring: Keyring, base_url: str) -> tuple[str, str, Image.Image]:
    """A market in ward 26743: its id, token, and its A5 poster as an image."""
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
        return str(venue.id), token, Image.open(io.BytesIO(posters.png(text, size="a5")))


def _camera_page(launch: Any, live_server: str, image: Image.Image, tmp_path: Path) -> Page:
    y4m = write_y4m(image, tmp_path / "camera.y4m", size=(960, 720))
    browser: Browser = launch(*fake_camera_args(y4m))
    context = browser.new_context(base_url=live_server, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def test_citizen_opens_venue_url_signs_in_checks_in_and_out(
    page: Page, app: FastAPI, db: Database, places: Any, sms: FileSmsChannel, live_server: str
) -> None:
    _venue_id, token, _poster = _venue(db, app.state.keyring, live_server)
    page.goto(f"/c/{token}")
    expect(page.get_by_test_id("venue-name")).to_have_text("Chợ Bến Thành")
    page.get_by_test_id("signin-to-checkin").click()
    page.wait_for_url("**/signin?next=/c/*")
    sign_in_citizen(page, lambda: sms.messages(CANONICAL), PHONE, f"/c/{token}")
    page.wait_for_url(f"**/c/{token}")
    page.get_by_test_id("checkin-button").click()
    page.wait_for_url("**/checkins")
    expect(page.locator(".flash").first).to_have_text("Đã khai báo vào Chợ Bến Thành.")
    visit = page.get_by_test_id("visit")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text("Chợ Bến Thành")
    expect(visit).to_contain_text("đang ở trong")
    page.get_by_test_id("checkout").click()
    page.wait_for_url("**/checkins")
    expect(page.locator(".flash").first).to_have_text("Đã khai báo ra khỏi Chợ Bến Thành.")
    expect(page.get_by_test_id("checkout")).to_have_count(0)
    with db.session_scope() as s:
        presence = s.scalars(select(Presence)).one()
        assert presence.left_at is not None
    # a bad code gets a clear page, not an error trace
    page.goto(f"/c/{token[:-4]}")
    expect(page.get_by_test_id("code-error")).to_have_text("Mã không đầy đủ hoặc bị hỏng.")


def test_camera_scan_of_the_poster_checks_in(
    launch: Any,
    live_server: str,
    app: FastAPI,
    db: Database,
    places: Any,
    sms: FileSmsChannel,
    tmp_path: Path,
) -> None:
    _venue_id, _token, poster = _venue(db, app.state.keyring, live_server)
    page = _camera_page(launch, live_server, poster, tmp_path)
    sign_in_citizen(page, lambda: sms.messages(CANONICAL), PHONE, "/checkins/scan")
    page.wait_for_url("**/checkins/scan")
    page.get_by_test_id("start-camera").click()
    expect(page.get_by_test_id("scan-result")).to_have_text("Đã khai báo vào Chợ Bến Thành.")
    page.goto("/checkins")
    expect(page.get_by_test_id("visit")).to_have_count(1)


def test_offline_scan_is_queued_and_synced_when_back_online(
    launch: Any,
    live_server: str,
    app: FastAPI,
    db: Database,
    places: Any,
    sms: FileSmsChannel,
    tmp_path: Path,
) -> None:
    _venue_id, _token, poster = _venue(db, app.state.keyring, live_server)
    page = _camera_page(launch, live_server, poster, tmp_path)
    sign_in_citizen(page, lambda: sms.messages(CANONICAL), PHONE, "/checkins/scan")
    page.wait_for_url("**/checkins/scan")
    page.context.set_offline(True)
    page.get_by_test_id("start-camera").click()
    expect(page.get_by_test_id("scan-result")).to_contain_text("Không có kết nối")
    expect(page.get_by_test_id("queue-status")).to_have_attribute("data-count", "1")
    with db.session_scope() as s:
        assert s.scalars(select(Presence)).all() == []
    page.context.set_offline(False)
    expect(page.get_by_test_id("queue-status")).to_have_attribute("data-count", "0")
    expect(page.get_by_test_id("scan-result")).to_have_text(
        "Đã gửi các lượt quét khi không có mạng."
    )
    with db.session_scope() as s:
        presence = s.scalars(select(Presence)).one()
        receipt = s.scalars(select(ScanReceipt)).one()
        # the phone's key is in the receipt, which names the presence (central presences
        # keep no key)
        assert receipt.presence_id == presence.id and receipt.client_key
        assert presence.client_key is None
        assert presence.left_at is None
    assert page.evaluate("window.localStorage.getItem('epitrace.scanQueue')") == "[]"
    # the service worker is served from the root, so its scope is the whole site
    response = page.request.get("/sw.js")
    assert response.headers["service-worker-allowed"] == "/"


def test_door_page_scans_a_yellow_pass_and_records_the_entry(
    launch: Any,
    live_server: str,
    app: FastAPI,
    db: Database,
    places: Any,
    tmp_path: Path,
) -> None:
    keyring: Keyring = app.state.keyring
    venue_id, _token, _poster = _venue(db, keyring, live_server)
    with db.session_scope() as s:
        factories.staff(s, username="cua-cho", role="venue_operator", area="26743")
        account = account_service.get_by_username(s, username="cua-cho")
        venue = venue_service.get_or_404(s, venue_id=uuid.UUID(venue_id))
        venue_service.add_operator(s, venue=venue, user_id=account.id)  # type: ignore[union-attr]
        person = Person(full_name="Trần Thị Vàng", phone="+84912000999")
        s.add(person)
        s.flush()
        text = passes.issue(keyring, pseudonym=person.pseudonym, colour=Colour.YELLOW, now=utcnow())
        person_id = person.id
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    page = _camera_page(launch, live_server, Image.open(buffer), tmp_path)
    sign_in_staff(page, "cua-cho", factories.STAFF_PASSWORD)
    posts: list[str] = []
    page.on(
        "request",
        lambda request: (
            posts.append(request.url)
            if request.method == "POST" and "door-scans" in request.url
            else None
        ),
    )
    page.goto(f"/venues/{venue_id}/door")
    expect(page.get_by_test_id("occupancy")).to_have_text("0")
    expect(page.get_by_test_id("entries")).to_have_text("0")
    page.get_by_test_id("start-camera").click()
    expect(page.get_by_test_id("door-name")).to_have_text("Trần Thị Vàng")
    expect(page.get_by_test_id("door-colour")).to_have_text("Vàng")
    expect(page.get_by_test_id("door-colour")).to_have_attribute("data-colour", "yellow")
    # Worded for the operator, about the visitor (not "you are checked in").
    expect(page.get_by_test_id("door-message")).to_have_text("Đã ghi vào: Trần Thị Vàng.")
    expect(page.get_by_test_id("occupancy")).to_have_text("1")
    # The counters and the log follow the scan without a reload.
    expect(page.get_by_test_id("entries")).to_have_text("1")
    expect(page.get_by_test_id("door-log")).to_contain_text("Trần Thị Vàng")
    # The pass stays in front of the camera (the fake camera loops the picture): it is not sent
    # again, so the operator is not answered "already inside" for the visitor just let in.
    page.wait_for_timeout(6_000)
    assert len(posts) == 1
    expect(page.get_by_test_id("door-message")).to_have_text("Đã ghi vào: Trần Thị Vàng.")
    with db.session_scope() as s:
        presence = s.scalars(select(Presence).where(Presence.person_id == person_id)).one()
        assert presence.method.value == "door_scan"
