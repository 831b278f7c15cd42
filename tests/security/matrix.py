"""Permission-matrix entries of the audit log and access oversight routes."""

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts.models import UserAccount
from epitrace.db import utcnow
from epitrace.security.models import AccessFlag
from epitrace.security.roles import Action, Role
from tests import factories
from tests.matrix_support import RouteCase, Users


def setup(session: Session, users: Users) -> dict[str, str]:
    """An open flag on the health officer's account (granted on area 79), and one on a health
    officer of Hà Nội (area 01), whom an administrator of area 79 does not manage."""
    start = utcnow() - timedelta(hours=2)  # a new window per setup: the flag is unique per window
    hanoi = f"ho-hanoi-{uuid.uuid4().hex[:8]}"
    factories.staff(session, username=hanoi, role="health_officer", area="01")
    hanoi_id = session.scalars(select(UserAccount.id).where(UserAccount.username == hanoi)).one()
    flags = {}
    for name, actor in (("flag", users.ids[Role.HEALTH_OFFICER]), ("flag_hanoi", hanoi_id)):
        flag = AccessFlag(
            actor_id=actor,
            actor_label=name,
            kind="many_people",
            window_start=start,
            window_end=start + timedelta(hours=1),
            people=80,
        )
        session.add(flag)
        session.flush()
        flags[name] = str(flag.id)
    return flags


CASES = [
    RouteCase("GET", "/api/v1/audit", Action.AUDIT_READ, inside="/api/v1/audit"),
    RouteCase("GET", "/admin/audit", Action.AUDIT_READ, inside="/admin/audit"),
    RouteCase("GET", "/api/v1/audit/report", Action.AUDIT_READ, inside="/api/v1/audit/report"),
    RouteCase(
        "GET",
        "/api/v1/audit/report.{fmt}",
        Action.AUDIT_READ,
        inside="/api/v1/audit/report.xlsx?by=unit",
    ),
    RouteCase("GET", "/api/v1/audit/flags", Action.AUDIT_READ, inside="/api/v1/audit/flags"),
    RouteCase(
        "POST",
        "/api/v1/audit/flags/{flag_id}/review",
        Action.AUDIT_READ,
        inside="/api/v1/audit/flags/{flag}/review",
        outside="/api/v1/audit/flags/{flag_hanoi}/review",
        body={"note": "Checked with the officer: a planned outbreak survey."},
    ),
    RouteCase("GET", "/admin/access", Action.AUDIT_READ, inside="/admin/access?by=unit"),
    RouteCase(
        "POST",
        "/admin/access/flags/{flag_id}/review",
        Action.AUDIT_READ,
        inside="/admin/access/flags/{flag}/review",
        outside="/admin/access/flags/{flag_hanoi}/review",
        form={"note": "Checked with the officer."},
    ),
]
