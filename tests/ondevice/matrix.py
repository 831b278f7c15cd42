"""Permission-matrix entries of on-device mode (hotspot notices, anonymous counts)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace.db import utcnow
from epitrace.ondevice import service
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from tests.matrix_support import RouteCase, Users
from tests.tracing.matrix import venues

__all__ = ["CASES", "setup"]


def setup(session: Session, users: Users) -> dict[str, str]:
    """A venue in area 79 and one in area 01, each with a notice in force."""
    names = venues(session, users)
    assert users.keyring is not None
    now = utcnow()
    for key in ("in", "out"):
        venue = venue_service.get_or_404(session, venue_id=uuid.UUID(names[f"venue_{key}"]))
        notice = service.publish(
            session,
            keyring=users.keyring,
            venue=venue,
            starts_at=now - timedelta(hours=3),
            ends_at=now - timedelta(hours=1),
            severity="get_tested",
            instructions_vi="Đi xét nghiệm.",
            actor=None,
            now=now,
            retention_days=21,
        )
        names[f"notice_{key}"] = str(notice.id)
    names["start_local"] = (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    names["end_local"] = (now + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    names["day"] = now.date().isoformat()
    return names


_BODY = {
    "starts_at": "{start}",
    "ends_at": "{end}",
    "severity": "monitor_symptoms",
    "instructions_vi": "Theo dõi sức khỏe 14 ngày.",
}
_FORM = {
    "starts_at": "{start_local}",
    "ends_at": "{end_local}",
    "severity": "monitor_symptoms",
    "instructions_vi": "Theo dõi sức khỏe 14 ngày.",
}

CASES = [
    RouteCase(
        "POST",
        "/api/v1/hotspot-notices",
        Action.ALERTS_CONTACT,
        inside="/api/v1/hotspot-notices",
        outside="/api/v1/hotspot-notices",
        body={"venue_id": "{venue_in}", **_BODY},
        outside_body={"venue_id": "{venue_out}", **_BODY},
        ok=(201,),
    ),
    RouteCase(
        "POST",
        "/api/v1/hotspot-notices/{notice_id}/withdraw",
        Action.ALERTS_CONTACT,
        inside="/api/v1/hotspot-notices/{notice_in}/withdraw",
        outside="/api/v1/hotspot-notices/{notice_out}/withdraw",
    ),
    RouteCase(
        "GET",
        "/api/v1/hotspot-notices/issued",
        Action.ALERTS_CONTACT,
        inside="/api/v1/hotspot-notices/issued",
    ),
    RouteCase(
        "GET",
        "/api/v1/venues/{venue_id}/anonymous-counts",
        Action.CHECKINS_COUNTS,
        inside="/api/v1/venues/{venue_in}/anonymous-counts?day={day}",
        outside="/api/v1/venues/{venue_out}/anonymous-counts?day={day}",
    ),
    RouteCase("GET", "/hotspot-notices", Action.ALERTS_CONTACT, inside="/hotspot-notices"),
    RouteCase(
        "POST",
        "/hotspot-notices",
        Action.ALERTS_CONTACT,
        inside="/hotspot-notices",
        outside="/hotspot-notices",
        form={"venue_id": "{venue_in}", **_FORM},
        outside_form={"venue_id": "{venue_out}", **_FORM},
    ),
    RouteCase(
        "POST",
        "/hotspot-notices/{notice_id}/withdraw",
        Action.ALERTS_CONTACT,
        inside="/hotspot-notices/{notice_in}/withdraw",
        outside="/hotspot-notices/{notice_out}/withdraw",
        form={},
    ),
]
