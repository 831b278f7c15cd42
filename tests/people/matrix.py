"""Permission-matrix entries of person matching, search and merging."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.security.roles import Action
from tests.matrix_support import RouteCase, Users


def setup(session: Session, users: Users) -> dict[str, str]:
    """Two records of one human in ward 26743, and one in Hà Nội (outside area 79)."""
    kept = Person(full_name="Phan Văn Giữ", ward_code="26743", phone="+84911777001")
    copy = Person(full_name="Phan Van Giu", ward_code="26743", phone="0911777001")
    hanoi = Person(full_name="Phan Văn Hà", ward_code="00070", phone="0911777002")
    session.add_all([kept, copy, hanoi])
    session.flush()
    return {"kept": str(kept.id), "copy": str(copy.id), "hanoi": str(hanoi.id)}


CASES = [
    RouteCase(
        "POST",
        "/api/v1/people/match",
        Action.PEOPLE_SEARCH,
        inside="/api/v1/people/match",
        body={"phone": "0911777001"},
    ),
    RouteCase(
        "GET",
        "/api/v1/people",
        Action.PEOPLE_SEARCH,
        inside="/api/v1/people?q=phan&ward=26743",
        outside="/api/v1/people?q=phan&ward=00070",
    ),
    RouteCase(
        "POST",
        "/api/v1/people/merge",
        Action.PEOPLE_MERGE,
        inside="/api/v1/people/merge",
        outside="/api/v1/people/merge",
        body={"keep_id": "{kept}", "merge_id": "{copy}"},
        outside_body={"keep_id": "{kept}", "merge_id": "{hanoi}"},
    ),
    RouteCase(
        "GET",
        "/api/v1/people/{person_id}/record",
        Action.PEOPLE_RECORD,
        inside="/api/v1/people/{kept}/record?purpose=citizen_request",
        outside="/api/v1/people/{hanoi}/record?purpose=citizen_request",
    ),
    # pages
    RouteCase(
        "GET",
        "/people/{person_id}/record",
        Action.PEOPLE_RECORD,
        inside="/people/{kept}/record",
        outside="/people/{hanoi}/record",
    ),
    RouteCase(
        "POST",
        "/people/{person_id}/record",
        Action.PEOPLE_RECORD,
        inside="/people/{kept}/record",
        outside="/people/{hanoi}/record",
        form={"purpose": "citizen_request"},
        outside_form={"purpose": "citizen_request"},
    ),
    RouteCase(
        "GET",
        "/people",
        Action.PEOPLE_SEARCH,
        inside="/people?q=phan&ward=26743",
        outside="/people?q=phan&ward=00070",
    ),
    RouteCase(
        "POST",
        "/people/merge",
        Action.PEOPLE_MERGE,
        inside="/people/merge",
        outside="/people/merge",
        form={"keep_id": "{kept}", "merge_id": "{copy}"},
        outside_form={"keep_id": "{kept}", "merge_id": "{hanoi}"},
    ),
]
