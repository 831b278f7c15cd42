"""`require` and the route guard: area scoping, role rules, and a forgotten check failing closed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epitrace.errors import Forbidden, Unauthorized
from epitrace.security.permissions import Grant, Principal, require
from epitrace.security.roles import ROLE_ACTIONS, Action, Role
from epitrace.web.deps import CurrentPrincipal
from epitrace.web.routing import iter_api_routes, make_router


def principal(*grants: tuple[Role, str | None, str | None]) -> Principal:
    return Principal(
        user_id=uuid.uuid4(),
        kind="staff",
        display_name="t",
        grants=tuple(Grant(r, c, p) for r, c, p in grants),
    )


def test_area_scoping_covers_the_area_and_below_only(session: Session, places: Any) -> None:
    ward = principal((Role.WARD_OFFICIAL, "26743", "79.26743."))
    district = principal((Role.DISTRICT_OFFICIAL, "991", "99.991."))
    assert require(ward, Action.DECLARATIONS_REVIEW, "26743", session=session) is ward
    with pytest.raises(Forbidden):
        require(ward, Action.DECLARATIONS_REVIEW, "26734", session=session)
    with pytest.raises(Forbidden):
        require(ward, Action.DECLARATIONS_REVIEW, "79", session=session)
    require(district, Action.DECLARATIONS_REVIEW, "99101", session=session)
    require(district, Action.DECLARATIONS_REVIEW, "991", session=session)
    with pytest.raises(Forbidden):
        require(district, Action.DECLARATIONS_REVIEW, "99201", session=session)
    with pytest.raises(Forbidden):
        require(district, Action.DECLARATIONS_REVIEW, "nope", session=session)


def test_role_without_the_action_is_refused_everywhere() -> None:
    dic = principal((Role.DIC_OFFICER, None, None))
    with pytest.raises(Forbidden) as exc:
        require(dic, Action.CASES_MANAGE)
    assert exc.value.message == "Your role does not allow this."


def test_national_grant_and_anonymous() -> None:
    admin = principal((Role.SYSTEM_ADMIN, None, None))
    assert require(admin, Action.AUDIT_READ, area_path="01.00070.") is admin
    with pytest.raises(Unauthorized):
        require(None, Action.PLACES_READ)


def test_only_grants_for_the_action_count() -> None:
    # a venue operator in 79 who is also a ward official in 01 may not operate doors in 01
    both = principal((Role.VENUE_OPERATOR, "79", "79."), (Role.WARD_OFFICIAL, "01", "01."))
    require(both, Action.DOOR_OPERATE, area_path="79.26743.")
    with pytest.raises(Forbidden):
        require(both, Action.DOOR_OPERATE, area_path="01.00070.")
    require(both, Action.FEEDBACK_HANDLE, area_path="01.00070.")


def test_every_action_has_at_least_one_role() -> None:
    assert set(ROLE_ACTIONS) == set(Action)
    assert all(ROLE_ACTIONS[a] for a in Action)


def test_a_route_that_forgets_its_check_is_refused_and_noticed(app: FastAPI) -> None:
    router = make_router()

    @router.get("/forgotten")
    def forgotten(principal: CurrentPrincipal) -> dict[str, str]:
        return {"secret": "value"}

    app.include_router(router)
    with TestClient(app) as client:
        response = client.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.text
    assert "/forgotten" in {r.path for r in iter_api_routes(app.routes)}
