"""JSON routes of the audit log (system admins, each for the staff of their own area)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import Response

from epitrace.accounts import service as account_service
from epitrace.db import utcnow
from epitrace.security import audit, oversight
from epitrace.security.export import report_sheet
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.security.schemas import (
    AccessFlagOut,
    AuditEntryOut,
    AuditPage,
    AuditReportRowOut,
    ReviewIn,
)
from epitrace.web import exports
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.fields import Limit, Offset
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1/audit", tags=["audit"])

ReportBy = Literal["account", "unit"]
Days = Annotated[int, Query(ge=1, le=366, description="The last N days.")]


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


def _period(days: int) -> tuple[datetime, datetime]:
    until = utcnow()
    return until - timedelta(days=days), until


def _report_rows(
    session: DbSession, principal: CurrentPrincipal, by: ReportBy, days: int
) -> list[oversight.ReportRow]:
    user = require(principal, Action.AUDIT_READ)
    since, until = _period(days)
    return oversight.report(
        session,
        by=by,
        since=since,
        until=until,
        actors=account_service.managed_account_ids(user),
    )


@router.get("/report", response_model=list[AuditReportRowOut])
def access_report(
    session: DbSession, principal: CurrentPrincipal, by: ReportBy = "account", days: Days = 30
) -> list[AuditReportRowOut]:
    """Reads of named people per account or per unit over the last `days`: reads, distinct
    people, purposes stated, flags raised."""
    rows = _report_rows(session, principal, by, days)
    return [
        AuditReportRowOut(
            key=r.key,
            label=r.label,
            roles=r.roles,
            accounts=r.accounts,
            reads=r.reads,
            people=r.people,
            purposes=dict(r.purposes),
            flags=r.flags,
        )
        for r in rows
    ]


@router.get("/report.{fmt}", responses=exports.RESPONSES)
def access_report_file(
    fmt: exports.Format,
    session: DbSession,
    principal: CurrentPrincipal,
    by: ReportBy = "account",
    days: Days = 30,
) -> Response:
    """The same report as XLSX or CSV (Vietnamese headers)."""
    rows = _report_rows(session, principal, by, days)
    return exports.respond(
        fmt,
        [report_sheet(rows, by)],
        name_parts=["truy-cap", "tai-khoan" if by == "account" else "don-vi"],
    )


@router.get("/flags", response_model=list[AccessFlagOut])
def list_flags(session: DbSession, principal: CurrentPrincipal) -> list[AccessFlagOut]:
    """Unusual access not yet reviewed, newest first."""
    user = require(principal, Action.AUDIT_READ)
    flags = oversight.open_flags(session, actors=account_service.managed_account_ids(user))
    return [AccessFlagOut.model_validate(f) for f in flags]


@router.post("/flags/{flag_id}/review", response_model=AccessFlagOut)
def review_flag(
    flag_id: uuid.UUID, body: ReviewIn, session: DbSession, principal: CurrentPrincipal
) -> AccessFlagOut:
    """Close a flag with what was found (kept with the flag)."""
    user = require(principal, Action.AUDIT_READ)
    flag = oversight.review(
        session,
        flag_id=flag_id,
        reviewer=user.user_id,
        note=body.note,
        actors=account_service.managed_account_ids(user),
    )
    return AccessFlagOut.model_validate(flag)
