"""On-device service: a case's visits published as notices, and the pure notice format."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy.orm import Session

from epitrace.db import utcnow
from epitrace.ondevice import notices, service
from epitrace.security.keys import Keyring, Purpose
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory


def test_a_cases_visits_become_one_notice_each(
    session: Session, places: Any, keyring: Keyring
) -> None:
    venues = [
        venue_service.create(
            session, name=f"Quán {n}", category=VenueCategory.SHOP_RESTAURANT, ward_code="26743"
        )
        for n in range(3)
    ]
    now = utcnow()
    visits = [
        service.VisitWindow(v.id, now - timedelta(hours=5 - n), now - timedelta(hours=4 - n))
        for n, v in enumerate(venues)
    ]
    published = service.publish_case_notices(
        session,
        keyring=keyring,
        visits=visits,
        severity="get_tested",
        instructions_vi="Đi xét nghiệm.",
        actor=None,
        now=now,
        retention_days=21,
    )
    assert [n.venue_id for n in published] == [v.id for v in venues]
    _kid, private = keyring.signing_key(Purpose.HOTSPOT_NOTICE)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    for notice, venue in zip(published, venues, strict=True):
        fields = notices.verify(
            private.public_key(),
            notices.SignedNotice(str(notice.id), notice.kid, notice.payload, notice.signature),
        )
        token = venue_service.token_for(keyring, venue)
        assert fields["venue"] == notices.venue_tag(notices.venue_secret(token), str(notice.id))
    assert {n.id for n in service.public_list(session, now=now)} == {n.id for n in published}


def test_the_notice_format_is_canonical_and_tags_differ_per_notice() -> None:
    moment = datetime(2026, 11, 30, 3, 4, 5, 600_000, tzinfo=UTC)
    fields = notices.body(
        notice_id="n-1",
        tag="t",
        starts_at=moment,
        ends_at=moment,
        severity="monitor_symptoms",
        instructions_vi="Theo dõi sức khỏe",
        instructions_en="",
        issued_at=moment,
        expires_at=moment,
        status="active",
    )
    assert notices.canonical_json(fields).decode() == (
        '{"end":"2026-11-30T03:04:05Z","expires":"2026-11-30T03:04:05Z","id":"n-1",'
        '"instructions":{"en":"","vi":"Theo dõi sức khỏe"},"issued":"2026-11-30T03:04:05Z",'
        '"severity":"monitor_symptoms","start":"2026-11-30T03:04:05Z","status":"active",'
        '"v":1,"venue":"t"}'
    )
    secret = notices.venue_secret("A" * 96)
    assert notices.venue_tag(secret, str(uuid.UUID(int=1))) != notices.venue_tag(
        secret, str(uuid.UUID(int=2))
    )
    assert len(notices.venue_tag(secret, "x")) == 22  # 16 bytes, base64url
    with pytest.raises(notices.NoticeError):
        notices.body(**{**_args(moment), "severity": "panic"})


def _args(moment: datetime) -> dict[str, Any]:
    return {
        "notice_id": "n",
        "tag": "t",
        "starts_at": moment,
        "ends_at": moment,
        "severity": "get_tested",
        "instructions_vi": "x",
        "instructions_en": "",
        "issued_at": moment,
        "expires_at": moment,
        "status": "active",
    }
