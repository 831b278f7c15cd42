"""Permission-matrix entries of the accounts routes."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.security.roles import Action, Role
from tests.matrix_support import RouteCase, Users


def setup(session: Session, users: Users) -> dict[str, str]:
    assert users.citizen_person_id is not None
    dependent = account_service.add_dependent(
        session,
        guardian_id=users.citizen_person_id,
        full_name="Nguyễn Văn Bé",
        birth_year=2015,
        relationship="con",
    )
    return {
        "dependent": str(dependent.id),
        "staff": str(users.ids[Role.WARD_OFFICIAL]),
        "new_username": f"new-{uuid.uuid4().hex[:8]}",
    }


CASES = [
    RouteCase(
        "POST", "/api/v1/auth/logout", Action.ACCOUNT_SELF, inside="/api/v1/auth/logout", ok=(204,)
    ),
    RouteCase("GET", "/api/v1/me", Action.ACCOUNT_SELF, inside="/api/v1/me"),
    RouteCase(
        "PUT",
        "/api/v1/me/profile",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/profile",
        body={"full_name": "Trần Thị Lan", "birth_year": 1990, "ward_code": "26743"},
    ),
    RouteCase("GET", "/api/v1/me/dependents", Action.CITIZEN_SELF, inside="/api/v1/me/dependents"),
    RouteCase(
        "POST",
        "/api/v1/me/dependents",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/dependents",
        body={"full_name": "Trần Văn An", "birth_year": 1950},
    ),
    RouteCase(
        "DELETE",
        "/api/v1/me/dependents/{dependent_id}",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/dependents/{dependent}",
    ),
    RouteCase("GET", "/api/v1/users", Action.USERS_MANAGE, inside="/api/v1/users"),
    RouteCase(
        "POST",
        "/api/v1/users",
        Action.USERS_MANAGE,
        inside="/api/v1/users",
        body={
            "username": "{new_username}",
            "password": "a-long-password",
            "grants": [{"role": "ward_official", "area_code": "26743"}],
        },
    ),
    RouteCase(
        "GET", "/api/v1/users/{user_id}", Action.USERS_MANAGE, inside="/api/v1/users/{staff}"
    ),
    RouteCase("GET", "/me", Action.CITIZEN_SELF, inside="/me"),
    RouteCase(
        "POST",
        "/me/profile",
        Action.CITIZEN_SELF,
        inside="/me/profile",
        form={"full_name": "Trần Thị Lan", "birth_year": "1990"},
    ),
    RouteCase(
        "POST",
        "/me/dependents",
        Action.CITIZEN_SELF,
        inside="/me/dependents",
        form={"full_name": "Trần Văn An"},
    ),
    RouteCase(
        "POST",
        "/me/dependents/{dependent_id}/delete",
        Action.CITIZEN_SELF,
        inside="/me/dependents/{dependent}/delete",
    ),
    RouteCase("GET", "/admin/users", Action.USERS_MANAGE, inside="/admin/users"),
    RouteCase(
        "POST",
        "/admin/users",
        Action.USERS_MANAGE,
        inside="/admin/users",
        form={
            "username": "{new_username}",
            "password": "a-long-password",
            "role": "ward_official",
            "area_code": "26743",
        },
    ),
]
