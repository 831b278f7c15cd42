"""JSON routes of the audit log (system admins, each for the staff of their own area)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from epitrace.accounts import service as account_service
from epitrace.security import audit
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.security.schemas import AuditEntryOut, AuditPage
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.fields import Limit, Offset
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
def list_entries(
    session: DbSession,
    principal: CurrentPrincipal,
    subject_type: Annotated[str | None, Query(max_length=60)] = None,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AuditPage:
    """Who read or changed which personal record, newest first."""
    user = require(principal, Action.AUDIT_READ)
    rows, total = audit.get_all(
        session,
        subject_type=subject_type,
        subject_id=subject_id,
        actors=account_service.managed_account_ids(user),
        limit=limit,
        offset=offset,
    )
    return AuditPage(total=total, items=[AuditEntryOut.model_validate(r) for r in rows])
