"""The administration rule over every role × area pair: an account grants only roles at or
below its own, inside its own area, and sees only the accounts it could have granted.

The expected answers come from the unit tree (parent codes of the test places) and the
stated order (system administrator above every other staff role), not from the paths and
rank table the code uses.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import RoleGrant, UserAccount
from epitrace.db import Database
from epitrace.places import service as place_service
from epitrace.security.passwords import hash_password
from epitrace.security.permissions import Grant, Principal, may_grant
from epitrace.security.roles import STAFF_ROLES, Role
from tests import factories

AREAS: list[str | None] = [None, "01", "00070", "79", "26743", "26734", "99", "991", "99101"]
PARENT = {row.code: row.parent_code for row in factories.PLACE_ROWS}
PASSWORD_HASH = hash_password("a-long-password")


def lineage(code: str) -> set[str]:
    """The unit and every unit above it, by walking parent codes."""
    found: set[str] = set()
    current: str | None = code
    while current is not None:
        found.add(current)
        current = PARENT[current]
    return found


def expected(granter: list[tuple[Role, str | None]], role: Role, area: str | None) -> bool:
    """Only system administrators administer; they are above every staff role; a grant lies
    in the granter's area (the whole country only for a nationwide granter)."""
    if role is Role.CITIZEN:
        return False
    for held_role, held_area in granter:
        if held_role is not Role.SYSTEM_ADMIN:
            continue
        if held_area is None or (area is not None and held_area in lineage(area)):
            return True
    return False


def test_every_single_grant_pair_follows_the_rule(session: Session, places: Any) -> None:
    paths = {code: place_service.path_of(session, code=code) if code else None for code in AREAS}
    roles = [*STAFF_ROLES, Role.CITIZEN]
    checked = 0
    for granter_role, granter_area, role, area in itertools.product(
        STAFF_ROLES, AREAS, roles, AREAS
    ):
        principal = Principal(
            user_id=uuid.uuid4(),
            kind="staff",
            display_name="granter",
            grants=(Grant(granter_role, granter_area, paths[granter_area]),),
        )
        want = expected([(granter_role, granter_area)], role, area)
        got = may_grant(principal, role, paths[area])
        assert got == want, (granter_role, granter_area, role, area)
        checked += 1
    assert checked == len(STAFF_ROLES) * len(AREAS) * len(roles) * len(AREAS)


grant_strategy = st.tuples(st.sampled_from(STAFF_ROLES), st.sampled_from(AREAS)).map(
    # a role other than system administrator is always bound to an area
    lambda g: g if g[1] is not None or g[0] is Role.SYSTEM_ADMIN else (g[0], "79")
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    granter=st.lists(grant_strategy, min_size=1, max_size=3, unique=True),
    role=st.sampled_from(STAFF_ROLES),
    area=st.sampled_from(AREAS),
)
def test_creating_staff_follows_the_rule_and_the_list_shows_exactly_the_area(
    client: TestClient,
    db: Database,
    places: Any,
    granter: list[tuple[Role, str | None]],
    role: Role,
    area: str | None,
) -> None:
    headers, granter_id = _granter(db, granter)
    response = client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": f"p-{uuid.uuid4().hex[:10]}",
            "password": "a-long-password",
            "grants": [{"role": role.value, "area_code": area}],
        },
    )
    is_admin = any(r is Role.SYSTEM_ADMIN for r, _ in granter)
    if not is_admin:
        assert response.status_code == 403
        return
    if area is None and role is not Role.SYSTEM_ADMIN:
        assert response.status_code == 422
        return
    assert response.status_code == (201 if expected(granter, role, area) else 403), response.text

    # The list holds exactly the accounts whose every role the granter could have granted.
    listed = {u["id"] for u in client.get("/api/v1/users", headers=headers).json()}
    with db.session_scope() as s:
        grants: dict[uuid.UUID, list[tuple[Role, str | None]]] = {}
        for account_id in s.scalars(select(UserAccount.id).where(UserAccount.kind == "staff")):
            grants[account_id] = []
        for user_id, held_role, held_area in s.execute(
            select(RoleGrant.user_id, RoleGrant.role, RoleGrant.area_code)
        ):
            grants[user_id].append((held_role, held_area))
    nationwide = expected(granter, Role.SYSTEM_ADMIN, None)
    want = {
        str(account_id)
        for account_id, held in grants.items()
        if (held and all(expected(granter, r, a) for r, a in held)) or (not held and nationwide)
    }
    assert listed == want
    if response.status_code == 201:
        assert response.json()["id"] in listed
    assert (str(granter_id) in listed) == (str(granter_id) in want)


_granters: dict[tuple[str, tuple[tuple[Role, str | None], ...]], tuple[dict[str, str], Any]] = {}


def _granter(
    db: Database, granter: list[tuple[Role, str | None]]
) -> tuple[dict[str, str], uuid.UUID]:
    """One account per set of grants and database (tables are emptied after each test)."""
    key = (db.url, tuple(sorted(granter, key=lambda g: (g[0].value, g[1] or ""))))
    cached = _granters.get(key)
    if cached is not None:
        with db.session_scope() as s:
            if s.get(UserAccount, cached[1]) is not None:
                return cached
    with db.session_scope() as s:
        account = UserAccount(
            kind="staff",
            username=f"g-{uuid.uuid4().hex[:10]}",
            password_hash=PASSWORD_HASH,
            display_name="granter",
        )
        s.add(account)
        s.flush()
        for held_role, held_area in granter:
            s.add(RoleGrant(user_id=account.id, role=held_role, area_code=held_area))
        token, _ttl = account_service.issue_token(s, account=account, ttl_seconds=3600)
        result = ({"Authorization": f"Bearer {token}"}, account.id)
    _granters[key] = result
    return result
