"""Permission-matrix entries of the accounts routes."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import RoleGrant, UserAccount
from epitrace.security.passwords import hash_password
from epitrace.security.roles import STAFF_ROLES, Action, Role
from tests.factories import STAFF_PASSWORD
from tests.matrix_support import RouteCase, Users

PASSWORD_HASH = hash_password("a-long-password")


def _staff(session: Session, grants: list[tuple[Role, str]]) -> UserAccount:
    """A fresh staff account (written directly: hashing a password per case is slow)."""
    account = UserAccount(
        kind="staff",
        username=f"t-{uuid.uuid4().hex[:10]}",
        password_hash=PASSWORD_HASH,
        display_name="Cán bộ thử",
    )
    session.add(account)
    session.flush()
    for role, area in grants:
        account.grants.append(RoleGrant(user_id=account.id, role=role, area_code=area))
    session.flush()
    return account


def setup(session: Session, users: Users) -> dict[str, str]:
    assert users.citizen_person_id is not None
    dependent = account_service.add_dependent(
        session,
        guardian_id=users.citizen_person_id,
        full_name="Nguyễn Văn Bé",
        birth_year=2015,
        relationship="con",
    )
    inside = _staff(session, [(Role.WARD_OFFICIAL, "26743"), (Role.VENUE_OPERATOR, "26734")])
    outside = _staff(session, [(Role.WARD_OFFICIAL, "00070"), (Role.VENUE_OPERATOR, "00004")])
    return {
        "dependent": str(dependent.id),
        "staff": str(inside.id),
        "staff_in": str(inside.id),
        "staff_out": str(outside.id),
        "grant_in": str(inside.grants[0].id),
        "grant_out": str(outside.grants[0].id),
        "new_username": f"new-{uuid.uuid4().hex[:8]}",
    }


NEW_GRANT = {"role": "health_officer", "area_code": "26734"}

CASES = [
    RouteCase(
        "POST", "/api/v1/auth/logout", Action.ACCOUNT_SELF, inside="/api/v1/auth/logout", ok=(204,)
    ),
    RouteCase("GET", "/api/v1/me", Action.ACCOUNT_SELF, inside="/api/v1/me"),
    RouteCase("GET", "/api/v1/me/sessions", Action.ACCOUNT_SELF, inside="/api/v1/me/sessions"),
    RouteCase(
        "POST",
        "/api/v1/me/sign-out-everywhere",
        Action.ACCOUNT_SELF,
        inside="/api/v1/me/sign-out-everywhere",
    ),
    RouteCase(
        "PUT",
        "/api/v1/me/password",
        Action.ACCOUNT_SELF,
        inside="/api/v1/me/password",
        # the same password again, so that later cases still sign in with it
        body={"current_password": STAFF_PASSWORD, "new_password": STAFF_PASSWORD},
        roles=frozenset(STAFF_ROLES),
    ),
    RouteCase("GET", "/account", Action.ACCOUNT_SELF, inside="/account"),
    RouteCase(
        "POST",
        "/account/sign-out-everywhere",
        Action.ACCOUNT_SELF,
        inside="/account/sign-out-everywhere",
    ),
    RouteCase(
        "POST",
        "/account/password",
        Action.ACCOUNT_SELF,
        inside="/account/password",
        form={"current_password": STAFF_PASSWORD, "new_password": STAFF_PASSWORD},
        roles=frozenset(STAFF_ROLES),
    ),
    RouteCase(
        "POST",
        "/api/v1/users/{user_id}/sign-out",
        Action.USERS_MANAGE,
        inside="/api/v1/users/{staff_in}/sign-out",
        outside="/api/v1/users/{staff_out}/sign-out",
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/sign-out",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}/sign-out",
        outside="/admin/users/{staff_out}/sign-out",
    ),
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
        outside="/api/v1/users",
        body={
            "username": "{new_username}",
            "password": "a-long-password",
            "grants": [{"role": "ward_official", "area_code": "26743"}],
        },
        outside_body={
            "username": "{new_username}",
            "password": "a-long-password",
            "grants": [{"role": "ward_official", "area_code": "00070"}],
        },
        new_subject=True,
    ),
    RouteCase(
        "GET",
        "/api/v1/users/{user_id}",
        Action.USERS_MANAGE,
        inside="/api/v1/users/{staff_in}",
        outside="/api/v1/users/{staff_out}",
    ),
    RouteCase(
        "PATCH",
        "/api/v1/users/{user_id}",
        Action.USERS_MANAGE,
        inside="/api/v1/users/{staff_in}",
        outside="/api/v1/users/{staff_out}",
        body={"display_name": "Cán bộ đổi tên", "is_active": False},
    ),
    RouteCase(
        "POST",
        "/api/v1/users/{user_id}/grants",
        Action.USERS_MANAGE,
        inside="/api/v1/users/{staff_in}/grants",
        outside="/api/v1/users/{staff_out}/grants",
        body=NEW_GRANT,
    ),
    RouteCase(
        "DELETE",
        "/api/v1/users/{user_id}/grants/{grant_id}",
        Action.USERS_MANAGE,
        inside="/api/v1/users/{staff_in}/grants/{grant_in}",
        outside="/api/v1/users/{staff_out}/grants/{grant_out}",
    ),
    RouteCase(
        "POST",
        "/api/v1/users/{user_id}/password",
        Action.USERS_MANAGE,
        inside="/api/v1/users/{staff_in}/password",
        outside="/api/v1/users/{staff_out}/password",
        body={"password": "another-long-password"},
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
        outside="/admin/users",
        form={
            "username": "{new_username}",
            "password": "a-long-password",
            "role": "ward_official",
            "area_code": "26743",
        },
        outside_form={
            "username": "{new_username}",
            "password": "a-long-password",
            "role": "ward_official",
            "area_code": "00070",
        },
        new_subject=True,
    ),
    RouteCase(
        "GET",
        "/admin/users/{user_id}",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}",
        outside="/admin/users/{staff_out}",
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}",
        outside="/admin/users/{staff_out}",
        form={"display_name": "Cán bộ đổi tên"},
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/active",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}/active",
        outside="/admin/users/{staff_out}/active",
        form={"active": "no"},
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/grants",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}/grants",
        outside="/admin/users/{staff_out}/grants",
        form=NEW_GRANT,
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/grants/{grant_id}/delete",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}/grants/{grant_in}/delete",
        outside="/admin/users/{staff_out}/grants/{grant_out}/delete",
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/password",
        Action.USERS_MANAGE,
        inside="/admin/users/{staff_in}/password",
        outside="/admin/users/{staff_out}/password",
        form={"password": "another-long-password"},
    ),
]
