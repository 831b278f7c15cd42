"""Builders for the "My data" tests: a citizen with a relative and rows in every domain."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from epitrace.cases.models import Case, QuarantineKind, QuarantineOrder, TestType
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database
from epitrace.venues.models import Venue, VenueCategory
from tests.declarations.factories import payload

WARD = "26743"


@dataclass
class Citizen:
    headers: dict[str, str]
    user_id: uuid.UUID
    person_id: uuid.UUID
    dependent_id: uuid.UUID
    phone: str


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (20, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def citizen_with_data(client: TestClient, citizen: Any, phone: str = "0912345678") -> Citizen:
    """A citizen with a profile, a relative, a declaration and a feedback report with a photo."""
    headers = citizen(phone)
    me = client.get("/api/v1/me", headers=headers).json()
    relative = client.post(
        "/api/v1/me/dependents",
        json={"full_name": "Nguyễn Thị Mai", "birth_year": 1950, "relationship": "mẹ"},
        headers=headers,
    )
    assert relative.status_code == 201, relative.text
    declared = client.post("/api/v1/declarations", json=payload(), headers=headers)
    assert declared.status_code == 201, declared.text
    sent = client.post(
        "/api/v1/feedback",
        data={"text": "Tụ tập trước chợ", "category": "gathering", "ward_code": WARD},
        files={"photo": ("cho.png", picture(), "image/png")},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    return Citizen(
        headers=headers,
        user_id=uuid.UUID(me["user_id"]),
        person_id=uuid.UUID(me["person_id"]),
        dependent_id=uuid.UUID(relative.json()["id"]),
        phone=me.get("phone") or "+84912345678",
    )


def add_checkin(db: Database, person_id: uuid.UUID, entered_at: datetime) -> uuid.UUID:
    with db.session_scope() as s:
        venue = Venue(
            number=int(uuid.uuid4().int % 900_000) + 100_000,
            name="Chợ Bến Thành",
            category=VenueCategory.MARKET,
            ward_code=WARD,
        )
        s.add(venue)
        s.flush()
        presence = Presence(
            venue_id=venue.id,
            ward_code=WARD,
            person_id=person_id,
            entered_at=entered_at,
            left_at=entered_at + timedelta(minutes=30),
            method=PresenceMethod.SELF_SCAN,
        )
        s.add(presence)
        s.flush()
        return presence.id


def add_case(db: Database, person_id: uuid.UUID, now: datetime) -> uuid.UUID:
    with db.session_scope() as s:
        case = Case(
            person_id=person_id,
            ward_code=WARD,
            test_type=TestType.PCR,
            sampled_at=now - timedelta(days=1),
            confirmed_at=now,
        )
        s.add(case)
        s.flush()
        return case.id


def add_order(db: Database, person_id: uuid.UUID, now: datetime, days: int) -> None:
    with db.session_scope() as s:
        s.add(
            QuarantineOrder(
                person_id=person_id,
                reason="f1",
                kind=QuarantineKind.HOME,
                ward_code=WARD,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=days),
            )
        )
