"""The audit log page for system administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from epitrace.accounts import service as account_service
from epitrace.security import audit
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


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
            "subject_type": subject_type or "",
            "actor": actor or "",
        },
    )
