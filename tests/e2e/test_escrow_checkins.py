"""The camera scanner in the escrow privacy mode: the phone keeps the presence it opened with
its close token, and that token closes the visit at the next check-in elsewhere."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select

from epitrace import localtime
from epitrace.accounts.sms import FileSmsChannel
from epitrace.checkins.models import Presence
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.escrow import crypto
from epitrace.escrow import service as escrow_service
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueCategory
from tests.e2e.conftest import sign_in_citizen
from tests.e2e.test_checkins import CANONICAL, PHONE, _camera_page, _venue


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app of these tests runs in the escrow mode."""
    return settings.model_copy(update={"privacy_mode": "escrow"})


def test_scanner_keeps_the_close_token_and_the_next_check_in_uses_it(
    launch: Any,
    live_server: str,
    app: FastAPI,
    db: Database,
    places: Any,
    sms: FileSmsChannel,
    tmp_path: Path,
) -> None:
    today = localtime.today()
    made = crypto.generate([today - timedelta(days=1), today, today + timedelta(days=1)])
    with db.session_scope() as s:
        escrow_service.import_keys(s, ceremony=made.ceremony_id, keys=made.public)
        school = venue_service.create(
            s, name="Trường Văn Lang", category=VenueCategory.SCHOOL, ward_code="26743",
            address="Lê Lợi",
        )  # fmt: skip
        school_token = venue_service.token_for(app.state.keyring, school)
    _venue_id, _token, poster = _venue(db, app.state.keyring, live_server)
    page = _camera_page(launch, live_server, poster, tmp_path)
    sign_in_citizen(page, lambda: sms.messages(CANONICAL), PHONE, "/checkins/scan")
    page.wait_for_url("**/checkins/scan")
    page.get_by_test_id("start-camera").click()
    expect(page.get_by_test_id("scan-result")).to_have_text("Đã khai báo vào Chợ Bến Thành.")
    held = json.loads(page.evaluate("window.localStorage.getItem('epitrace.held')") or "[]")
    assert [h["person"] for h in held] == ["self"]
    market_visit = uuid.UUID(held[0]["presence_id"])
    with db.session_scope() as s:
        stored = s.get(Presence, market_visit)
        assert stored is not None
        assert stored.person_id is None and stored.sealed_identity is not None
    # the next check-in sends what the phone holds, as the scanner does
    status = page.evaluate(
        """async (token) => {
          const held = JSON.parse(localStorage.getItem('epitrace.held')).map(
            (h) => ({presence_id: h.presence_id, close_token: h.close_token}));
          const r = await window.epitrace.api('POST', '/api/v1/checkins', {token, held});
          return r.status;
        }""",
        school_token,
    )
    assert status == 201
    with db.session_scope() as s:
        closed = s.get(Presence, market_visit)
        assert closed is not None and closed.close_reason == "next_checkin"
        venues = {v.id: v.name for v in s.scalars(select(Venue))}
        assert {venues[p.venue_id] for p in s.scalars(select(Presence))} == {
            "Chợ Bến Thành",
            "Trường Văn Lang",
        }
