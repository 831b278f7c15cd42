"""Permission-matrix entries of the escrow routes: asking to open a case's days, approving."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from epitrace.db import utcnow
from epitrace.escrow import crypto
from epitrace.escrow import service as escrow_service
from epitrace.escrow.models import EscrowDayKey, EscrowOpening, OpeningStatus
from epitrace.security.roles import Action
from tests.cases.matrix import setup as cases_setup
from tests.matrix_support import RouteCase, Users

DAY = date(2026, 11, 20)  # the opening's only day, whatever the clock
CEREMONY = crypto.generate([DAY])
SHARE_A = crypto.share_file(CEREMONY, "a").encode()


def setup(session: Session, users: Users) -> dict[str, str]:
    """The cases of the cases matrix, each with an opening of one day waiting for approval."""
    names = cases_setup(session, users)
    if session.get(EscrowDayKey, DAY) is None:
        escrow_service.import_keys(session, ceremony=CEREMONY.ceremony_id, keys=CEREMONY.public)
    now = utcnow()
    for key in ("in", "out"):
        opening = EscrowOpening(
            id=uuid.uuid4(),
            case_id=uuid.UUID(names[f"case_{key}"]),
            first_day=DAY,
            last_day=DAY,
            requested_at=now,
            expires_at=now + timedelta(hours=1),
            status=OpeningStatus.REQUESTED,
        )
        session.add(opening)
        names[f"opening_{key}"] = str(opening.id)
    session.flush()
    return names


CASES = [
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/escrow-openings",
        Action.CASES_MANAGE,
        inside="/api/v1/cases/{case_in}/escrow-openings",
        outside="/api/v1/cases/{case_out}/escrow-openings",
        body={"reason": "Truy vết ca F0"},
        ok=(201,),
    ),
    RouteCase(
        "POST",
        "/api/v1/escrow-openings/{opening_id}/approvals",
        Action.ESCROW_APPROVE,
        inside="/api/v1/escrow-openings/{opening_in}/approvals",
        outside="/api/v1/escrow-openings/{opening_out}/approvals",
        files={"share": ("share-a.json", SHARE_A, "application/json")},
        ok=(201,),
    ),
    RouteCase(
        "GET",
        "/api/v1/escrow-openings/{opening_id}",
        Action.ESCROW_APPROVE,
        inside="/api/v1/escrow-openings/{opening_in}",
        outside="/api/v1/escrow-openings/{opening_out}",
    ),
    RouteCase(
        "GET",
        "/cases/{case_id}/escrow",
        Action.ESCROW_APPROVE,
        inside="/cases/{case_in}/escrow",
        outside="/cases/{case_out}/escrow",
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/escrow",
        Action.CASES_MANAGE,
        inside="/cases/{case_in}/escrow",
        outside="/cases/{case_out}/escrow",
        form={"reason": "Truy vết ca F0"},
    ),
    RouteCase(
        "POST",
        "/escrow-openings/{opening_id}/approve",
        Action.ESCROW_APPROVE,
        inside="/escrow-openings/{opening_in}/approve",
        outside="/escrow-openings/{opening_out}/approve",
        files={"share": ("share-a.json", SHARE_A, "application/json")},
    ),
]
