"""A visitor entered by hand at a door and traced as F1 can be put in quarantine from the case.

Regression: manual visitors had no person record, so their row in the F1 table had no
quarantine action and officers could not order it anywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from epitrace.accounts.models import Person
from epitrace.cases.models import QuarantineOrder
from epitrace.checkins.models import ManualVisitor, Presence
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.tracing.models import ContactLink
from tests.people.test_match import NOW, SAMPLED, _check_in_together, _person_id


def _case_with_a_door_visitor(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    officer: dict[str, str],
    visitor_phone: str,
) -> tuple[str, dict[str, Any]]:
    sick = citizen("0912000001")
    op = operator()
    entered = client.post(
        f"/api/v1/venues/{op['venue_id']}/manual-entries",
        json={"full_name": "Bà Năm", "phone": visitor_phone, "id_number": "079180001234"},
        headers=op["headers"],
    )
    assert entered.status_code == 201, entered.text
    _check_in_together(client, db, keyring, op["venue_id"], sick)
    with db.session_scope() as s:
        s.execute(
            update(Presence)
            .where(Presence.venue_id == op["venue_id"])
            .values(entered_at=NOW - timedelta(hours=3), left_at=NOW - timedelta(hours=2))
        )
    case = client.post(
        "/api/v1/cases",
        json={"person_id": _person_id(client, sick), "sampled_at": SAMPLED},
        headers=officer,
    )
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    trace = client.post(f"/api/v1/cases/{case_id}/trace", headers=officer).json()
    [visitor] = [c for c in trace["f1"] if c["person_id"] is None]
    return case_id, visitor


def test_a_door_visitor_gets_a_person_record_and_a_quarantine_order(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    officer = make_staff("health_officer", "79")
    case_id, visitor = _case_with_a_door_visitor(
        client, db, citizen, operator, keyring, officer, "0912000111"
    )
    page = client.get(f"/cases/{case_id}", headers=officer)
    assert f'name="manual_visitor_id" value="{visitor["manual_visitor_id"]}"' in page.text
    ordered = client.post(
        "/quarantine/new",
        headers=officer,
        data={
            "manual_visitor_id": visitor["manual_visitor_id"],
            "ward_code": "26743",
            "reason": "f1",
            "kind": "home",
            "next": f"/cases/{case_id}",
        },
        follow_redirects=False,
    )
    assert ordered.status_code == 303, ordered.text
    with db.session_scope() as s:
        person = s.scalars(select(Person).where(Person.phone == "+84912000111")).one()
        assert (person.full_name, person.id_number) == ("Bà Năm", "079180001234")
        visitor_id = uuid.UUID(visitor["manual_visitor_id"])
        assert s.get(ManualVisitor, visitor_id).person_id == person.id  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).where(QuarantineOrder.person_id == person.id)) == 1
        link = s.scalars(
            select(ContactLink).where(ContactLink.manual_visitor_id == visitor_id)
        ).one()
        assert link.person_id == person.id
    # the F1 row now names the person: the next action does not make a second record
    page = client.get(f"/cases/{case_id}", headers=officer)
    assert f'name="person_id" value="{person.id}"' in page.text


def test_a_door_visitor_with_a_known_phone_is_linked_only_once_the_officer_confirms(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    """Regression: a visitor whose phone matched exactly one person was linked to that person
    without being shown; the phone may be a relative's, so the officer confirms first."""
    officer = make_staff("health_officer", "79")
    known = citizen("0912000222")
    _case_id, visitor = _case_with_a_door_visitor(
        client, db, citizen, operator, keyring, officer, "0912000222"
    )
    with db.session_scope() as s:
        before = s.scalar(select(func.count()).select_from(Person))
    form = {
        "manual_visitor_id": visitor["manual_visitor_id"],
        "ward_code": "26743",
        "reason": "f1",
        "kind": "home",
    }
    asked = client.post("/quarantine/new", headers=officer, data=form, follow_redirects=False)
    assert asked.status_code == 409, asked.text
    known_id = _person_id(client, known)
    assert f'value="{known_id}"' in asked.text and 'data-testid="candidate-new"' in asked.text
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(QuarantineOrder)) == 0
        visitor_row = s.get(ManualVisitor, uuid.UUID(visitor["manual_visitor_id"]))
        assert visitor_row is not None and visitor_row.person_id is None  # not linked yet

    stranger = client.post(
        "/quarantine/new",
        headers=officer,
        data={**form, "person_id": str(uuid.uuid4())},
        follow_redirects=False,
    )
    assert stranger.status_code in (303, 422)  # refused: not one of the people shown
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(QuarantineOrder)) == 0

    ordered = client.post(
        "/quarantine/new",
        headers=officer,
        data={**form, "person_id": known_id},
        follow_redirects=False,
    )
    assert ordered.status_code == 303, ordered.text
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == before
        order = s.scalars(select(QuarantineOrder)).one()
        assert str(order.person_id) == known_id


def test_a_door_visitor_sharing_a_phone_may_be_a_new_person(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    officer = make_staff("health_officer", "79")
    known = citizen("0912000333")
    _case_id, visitor = _case_with_a_door_visitor(
        client, db, citizen, operator, keyring, officer, "0912000333"
    )
    ordered = client.post(
        "/quarantine/new",
        headers=officer,
        data={
            "manual_visitor_id": visitor["manual_visitor_id"],
            "ward_code": "26743",
            "reason": "f1",
            "kind": "home",
            "person_id": "new",
        },
        follow_redirects=False,
    )
    assert ordered.status_code == 303, ordered.text
    known_id = _person_id(client, known)
    with db.session_scope() as s:
        order = s.scalars(select(QuarantineOrder)).one()
        assert str(order.person_id) != known_id
        person = s.get(Person, order.person_id)
        assert person is not None and person.full_name == "Bà Năm"
