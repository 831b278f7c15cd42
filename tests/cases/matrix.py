"""Permission-matrix entries of the cases and quarantine routes (API and pages)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases.models import Case, QuarantineKind, QuarantineOrder, QuarantineStatus, TestType
from epitrace.db import utcnow
from epitrace.security.roles import Action
from tests.matrix_support import RouteCase, Users


def _order(session: Session, person: Person, ward: str) -> QuarantineOrder:
    now = utcnow()
    order = QuarantineOrder(
        person_id=person.id,
        reason="f1",
        kind=QuarantineKind.HOME,
        ward_code=ward,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=14),
        test_days=[],
    )
    session.add(order)
    session.flush()
    return order


def setup(session: Session, users: Users) -> dict[str, str]:
    now = utcnow()
    people = {}
    for key, ward in (("in", "26743"), ("out", "00070")):
        person = Person(full_name=f"Người {key}", ward_code=ward, phone="0911222333")
        session.add(person)
        session.flush()
        case = Case(
            person_id=person.id,
            ward_code=ward,
            test_type=TestType.PCR,
            sampled_at=now - timedelta(days=1),
            confirmed_at=now,
        )
        session.add(case)
        other = Person(full_name=f"Người khác {key}", ward_code=ward)
        session.add(other)
        session.flush()
        order = _order(session, other, ward)
        fresh = Person(full_name=f"Người mới {key}", ward_code=ward)
        # no home ward in the profile: the ward of their case is their area
        homeless = Person(full_name=f"Người chưa khai phường {key}")
        session.add_all([fresh, homeless])
        session.flush()
        session.add(
            Case(
                person_id=homeless.id,
                ward_code=ward,
                test_type=TestType.PCR,
                sampled_at=now - timedelta(days=1),
                confirmed_at=now,
            )
        )
        session.flush()
        people |= {
            f"case_{key}": str(case.id),
            f"order_{key}": str(order.id),
            f"person_{key}": str(fresh.id),
            f"no_home_{key}": str(homeless.id),
        }
    citizen = session.get(Person, users.citizen_person_id)
    running = session.scalar(
        select(QuarantineOrder.id).where(
            QuarantineOrder.person_id == users.citizen_person_id,
            QuarantineOrder.status == QuarantineStatus.ACTIVE,
            QuarantineOrder.ends_at > now,
        )
    )
    if citizen is not None and running is None:
        _order(session, citizen, "26743")
    return people


SAMPLED = "2026-11-20T08:00:00+07:00"

CASES = [
    RouteCase(
        "POST",
        "/api/v1/cases",
        Action.CASES_MANAGE,
        inside="/api/v1/cases",
        outside="/api/v1/cases",
        body={"person_id": "{person_in}", "sampled_at": SAMPLED},
        outside_body={"person_id": "{person_out}", "sampled_at": SAMPLED},
    ),
    RouteCase("GET", "/api/v1/cases", Action.TRACING_IDENTITIES, inside="/api/v1/cases"),
    RouteCase(
        "GET",
        "/api/v1/cases/{case_id}",
        Action.TRACING_IDENTITIES,
        inside="/api/v1/cases/{case_in}",
        outside="/api/v1/cases/{case_out}",
    ),
    RouteCase(
        "POST",
        "/api/v1/tests",
        Action.CASES_MANAGE,
        inside="/api/v1/tests",
        outside="/api/v1/tests",
        body={"person_id": "{person_in}", "test_type": "rapid", "sampled_at": SAMPLED},
        outside_body={"person_id": "{person_out}", "test_type": "rapid", "sampled_at": SAMPLED},
    ),
    RouteCase(
        "POST",
        "/api/v1/quarantine",
        Action.QUARANTINE_MANAGE,
        inside="/api/v1/quarantine",
        outside="/api/v1/quarantine",
        body={"person_id": "{person_in}", "reason": "f1", "kind": "home"},
        outside_body={"person_id": "{person_out}", "reason": "f1", "kind": "home"},
    ),
    # a person without a home ward, whose case is in the area (inside) or outside it
    RouteCase(
        "POST",
        "/api/v1/quarantine",
        Action.QUARANTINE_MANAGE,
        inside="/api/v1/quarantine",
        outside="/api/v1/quarantine",
        body={"person_id": "{no_home_in}", "reason": "f0", "kind": "home"},
        outside_body={"person_id": "{no_home_out}", "reason": "f0", "kind": "home"},
    ),
    RouteCase(
        "POST",
        "/quarantine/new",
        Action.QUARANTINE_MANAGE,
        inside="/quarantine/new",
        outside="/quarantine/new",
        form={"person_id": "{no_home_in}", "reason": "f0", "kind": "home"},
        outside_form={"person_id": "{no_home_out}", "reason": "f0", "kind": "home"},
    ),
    RouteCase("GET", "/api/v1/quarantine", Action.QUARANTINE_MANAGE, inside="/api/v1/quarantine"),
    RouteCase(
        "GET",
        "/api/v1/quarantine/export.{fmt}",
        Action.QUARANTINE_MANAGE,
        inside="/api/v1/quarantine/export.xlsx",
    ),
    RouteCase(
        "POST",
        "/api/v1/quarantine/{order_id}/visits",
        Action.QUARANTINE_MANAGE,
        inside="/api/v1/quarantine/{order_in}/visits",
        outside="/api/v1/quarantine/{order_out}/visits",
        body={"outcome": "seen_well"},
    ),
    RouteCase(
        "GET",
        "/api/v1/quarantine/breaches",
        Action.QUARANTINE_MANAGE,
        inside="/api/v1/quarantine/breaches",
    ),
    RouteCase("GET", "/api/v1/me/quarantine", Action.CITIZEN_SELF, inside="/api/v1/me/quarantine"),
    RouteCase(
        "POST",
        "/api/v1/me/quarantine/report",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/quarantine/report",
        body={"symptoms": ""},
    ),
    # pages
    RouteCase("GET", "/cases", Action.TRACING_IDENTITIES, inside="/cases"),
    RouteCase("GET", "/cases/new", Action.CASES_MANAGE, inside="/cases/new"),
    RouteCase(
        "POST",
        "/cases/new",
        Action.CASES_MANAGE,
        inside="/cases/new",
        outside="/cases/new",
        form={"person_id": "{person_in}", "sampled_at": "2026-11-20T08:00"},
        outside_form={"person_id": "{person_out}", "sampled_at": "2026-11-20T08:00"},
    ),
    RouteCase(
        "GET",
        "/cases/{case_id}",
        Action.TRACING_COUNTS,
        inside="/cases/{case_in}",
        outside="/cases/{case_out}",
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/trace",
        Action.CASES_MANAGE,
        inside="/cases/{case_in}/trace",
        outside="/cases/{case_out}/trace",
        form={},
    ),
    RouteCase(
        "GET",
        "/cases/{case_id}/graph",
        Action.TRACING_IDENTITIES,
        inside="/cases/{case_in}/graph",
        outside="/cases/{case_out}/graph",
    ),
    RouteCase("GET", "/quarantine", Action.QUARANTINE_MANAGE, inside="/quarantine"),
    RouteCase(
        "POST",
        "/quarantine/{order_id}/visit",
        Action.QUARANTINE_MANAGE,
        inside="/quarantine/{order_in}/visit",
        outside="/quarantine/{order_out}/visit",
        form={"outcome": "seen_well"},
    ),
    RouteCase(
        "POST",
        "/quarantine/new",
        Action.QUARANTINE_MANAGE,
        inside="/quarantine/new",
        outside="/quarantine/new",
        form={"person_id": "{person_in}", "reason": "f1", "kind": "home"},
        outside_form={"person_id": "{person_out}", "reason": "f1", "kind": "home"},
    ),
    RouteCase("GET", "/me/quarantine", Action.CITIZEN_SELF, inside="/me/quarantine"),
    RouteCase(
        "POST",
        "/me/quarantine",
        Action.CITIZEN_SELF,
        inside="/me/quarantine",
        form={"symptoms": ""},
    ),
]
