"""The audit log page for system administrators."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.accounts import service as account_service
from epitrace.db import utcnow
from epitrace.errors import N_, DomainError
from epitrace.people import record
from epitrace.security import audit, oversight
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.web import i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

# How the log's stored codes read on the page (the stored values stay stable for exports).
ACTION_LABELS = {
    "read": N_("read"),
    "create": N_("created"),
    "update": N_("changed"),
    "suspend": N_("suspended"),
    "resume": N_("resumed"),
    "merge": N_("merged"),
    "import": N_("imported"),
    "export": N_("exported"),
    "grant": N_("role granted"),
    "revoke": N_("role revoked"),
    "password": N_("password set"),
    "reissue_code": N_("QR code reissued"),
    "add_operator": N_("operator added"),
    "add_admin": N_("administrator added"),
    "remove_admin": N_("administrator removed"),
    "assign_sector": N_("sector assigned"),
    "unassign_sector": N_("sector removed"),
    "exposure.code.issue": N_("verification code issued"),
}
SUBJECT_LABELS = {
    "case": N_("case"),
    "case_contacts": N_("contacts of a case"),
    "declaration": N_("health declaration"),
    "door_log": N_("door log"),
    "exposure_verification_code": N_("verification code"),
    "feedback": N_("feedback"),
    "lab_test": N_("test result"),
    "manual_visitor": N_("visitor entered by hand"),
    "organisation": N_("organisation"),
    "person": N_("person"),
    "quarantine_breach": N_("quarantine breach"),
    "quarantine_order": N_("quarantine order"),
    "roster": N_("roster"),
    "roster_member": N_("roster member"),
    "user": N_("staff account"),
    "user_account": N_("staff account"),
    "venue": N_("venue"),
}
PURPOSE_LABELS = {
    "door_log": N_("door log"),
    "door_scan": N_("pass scanned at the door"),
    "manual_entry": N_("entered by hand at the door"),
    **record.CASE_CONTEXTS,
    **record.PURPOSES,
}
FLAG_LABELS = {
    "many_people": N_("Many people read in one window"),
    "outside_area": N_("People read outside the usual units"),
}


def _label(labels: dict[str, str], value: str | None) -> str:
    if not value:
        return ""
    return i18n.gettext(labels[value]) if value in labels else value.replace("_", " ")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    subject_type: Annotated[str | None, Query(max_length=60)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    user = require(principal, Action.AUDIT_READ)
    rows, total = audit.get_all(
        session,
        subject_type=subject_type or None,
        actor_label=actor or None,
        actors=account_service.managed_account_ids(user),
        limit=200,
    )
    return render(
        request,
        "security/audit.html",
        {
            "rows": rows,
            "total": total,
            "action_label": lambda v: _label(ACTION_LABELS, v),
            "subject_label": lambda v: _label(SUBJECT_LABELS, v),
            "purpose_label": lambda v: _label(PURPOSE_LABELS, v),
            "subject_type": subject_type or "",
            "actor": actor or "",
        },
    )


@router.get("/admin/access", response_class=HTMLResponse)
def access_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    by: Literal["account", "unit"] = "account",
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> HTMLResponse:
    """Unusual access to review, and the access report per account or per unit."""
    user = require(principal, Action.AUDIT_READ)
    ensure_csrf(request)
    actors = account_service.managed_account_ids(user)
    until = utcnow()
    rows = oversight.report(
        session, by=by, since=until - timedelta(days=days), until=until, actors=actors
    )
    return render(
        request,
        "security/access.html",
        {
            "flags": oversight.open_flags(session, actors=actors),
            "flag_label": lambda v: _label(FLAG_LABELS, v),
            "purpose_label": lambda v: _label(PURPOSE_LABELS, v),
            "rows": rows,
            "by": by,
            "days": days,
        },
    )


@router.post("/admin/access/flags/{flag_id}/review")
def access_flag_review(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    flag_id: uuid.UUID,
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Close a flag with the administrator's note."""
    user = require(principal, Action.AUDIT_READ)
    try:
        oversight.review(
            session,
            flag_id=flag_id,
            reviewer=user.user_id,
            note=note,
            actors=account_service.managed_account_ids(user),
        )
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        session.rollback()
        flash(request, i18n.gettext(exc.message, **exc.params))
        return RedirectResponse("/admin/access", status_code=303)
    flash(request, i18n.gettext("The flag is reviewed."))
    return RedirectResponse("/admin/access", status_code=303)
