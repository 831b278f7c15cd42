"""Permission-matrix entries of the tracing routes (trace, contacts, exports, zoning)."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace.db import utcnow
from epitrace.security.roles import Action
from epitrace.tracing.models import Trace
from epitrace.venues.models import Venue, VenueCategory
from tests.cases.matrix import setup
from tests.matrix_support import RouteCase, Users

_numbers = itertools.count(uuid.uuid4().int % 1_000_000 * 100)


def traced(session: Session, users: Users) -> dict[str, str]:
    """The cases of `setup`, each with a trace run (nothing found) waiting for confirmation."""
    names = setup(session, users)
    now = utcnow()
    for key in ("in", "out"):
        session.add(
            Trace(
                case_id=uuid.UUID(names[f"case_{key}"]),
                policy_version=0,
                window_start=now - timedelta(days=3),
                window_end=now,
                ran_at=now,
            )
        )
    session.flush()
    return names


def venues(session: Session, users: Users) -> dict[str, str]:
    """A market in area 79 and one in area 01, for hotspot alerts."""
    names = {}
    for key, ward in (("in", "26743"), ("out", "00070")):
        venue = Venue(
            number=next(_numbers),
            name=f"Chợ {key}",
            category=VenueCategory.MARKET,
            ward_code=ward,
            address="1 Lê Lợi",
        )
        session.add(venue)
        session.flush()
        names[f"venue_{key}"] = str(venue.id)
    now = utcnow()
    names["start"] = (now - timedelta(hours=3)).isoformat()
    names["end"] = (now - timedelta(hours=1)).isoformat()
    names["start_local"] = (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    names["end_local"] = (now + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    return names


__all__ = ["CASES", "setup"]

CASES = [
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/trace",
        Action.CASES_MANAGE,
        inside="/api/v1/cases/{case_in}/trace",
        outside="/api/v1/cases/{case_out}/trace",
    ),
    RouteCase(
        "GET",
        "/api/v1/cases/{case_id}/contacts",
        Action.TRACING_COUNTS,
        inside="/api/v1/cases/{case_in}/contacts",
        outside="/api/v1/cases/{case_out}/contacts",
    ),
    RouteCase(
        "GET",
        "/api/v1/cases/{case_id}/contacts/export.{fmt}",
        Action.TRACING_IDENTITIES,
        inside="/api/v1/cases/{case_in}/contacts/export.csv",
        outside="/api/v1/cases/{case_out}/contacts/export.csv",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/risk/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/risk/79",
        outside="/api/v1/tracing/risk/01",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/risk/{area_code}/geojson",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/risk/79/geojson",
        outside="/api/v1/tracing/risk/01/geojson",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/hotspots/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/hotspots/79",
        outside="/api/v1/tracing/hotspots/01",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/clusters/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/clusters/79",
        outside="/api/v1/tracing/clusters/01",
    ),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/trace/confirm",
        Action.CASES_MANAGE,
        inside="/api/v1/cases/{case_in}/trace/confirm",
        outside="/api/v1/cases/{case_out}/trace/confirm",
        setup=traced,
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/trace/confirm",
        Action.CASES_MANAGE,
        inside="/cases/{case_in}/trace/confirm",
        outside="/cases/{case_out}/trace/confirm",
        form={},
        setup=traced,
    ),
    RouteCase(
        "POST",
        "/api/v1/tracing/hotspot-alerts",
        Action.CASES_MANAGE,
        inside="/api/v1/tracing/hotspot-alerts",
        outside="/api/v1/tracing/hotspot-alerts",
        body={"venue_id": "{venue_in}", "starts_at": "{start}", "ends_at": "{end}"},
        outside_body={"venue_id": "{venue_out}", "starts_at": "{start}", "ends_at": "{end}"},
        ok=(201,),
        setup=venues,
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/hotspot-alerts/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/hotspot-alerts/79",
        outside="/api/v1/tracing/hotspot-alerts/01",
    ),
    RouteCase(
        "POST",
        "/tracing/{area_code}/hotspot-alerts",
        Action.CASES_MANAGE,
        inside="/tracing/79/hotspot-alerts",
        outside="/tracing/79/hotspot-alerts",
        form={"venue_id": "{venue_in}", "starts_at": "{start_local}", "ends_at": "{end_local}"},
        outside_form={
            "venue_id": "{venue_out}",
            "starts_at": "{start_local}",
            "ends_at": "{end_local}",
        },
        setup=venues,
    ),
    RouteCase("GET", "/tracing", Action.TRACING_COUNTS, inside="/tracing"),
    RouteCase(
        "GET",
        "/tracing/{area_code}",
        Action.TRACING_COUNTS,
        inside="/tracing/79",
        outside="/tracing/01",
    ),
]
