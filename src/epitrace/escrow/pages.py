"""Pages of the escrow mode: a case's openings, the request for one, the officials' approvals.

In the escrow privacy mode a case is traced only when two officials approve the opening of its
days, each uploading their share of the day keys (docs/privacy.md, "Escrow mode"); once both
are in, the worker's job `escrow.open_approved` opens the identities, traces the case and
discards them, and this page shows the result. The JSON routes do the same
(`escrow.api`); the case page links here instead of running the trace itself. As in the API,
an opening can be asked for and approved in any mode (where nothing is sealed it is just a
trace); this page offers it only in the escrow mode.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.cases import service as case_service
from epitrace.db import utcnow
from epitrace.errors import N_, DomainError
from epitrace.escrow import service as escrow_service
from epitrace.escrow.models import OpeningStatus
from epitrace.tracing import policy_store
from epitrace.web import i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

NOT_ESCROW = N_(
    "This deployment does not seal check-ins (privacy mode %(mode)s): run the trace from the "
    "case page, no opening is needed."
)


@router.get("/cases/{case_id}/escrow", response_class=HTMLResponse)
def openings_page(
    case_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> HTMLResponse:
    case = case_service.get_or_404(session, case_id=case_id)
    shown = escrow_service.case_openings(session, principal=principal, case=case)
    now = utcnow()
    first, last = escrow_service.opening_days(case, policy_store.current(session), now)
    ensure_csrf(request)
    return render(
        request,
        "escrow/openings.html",
        {
            "case": case,
            "shown": shown,
            "now": now,
            "first_day": first,
            "last_day": last,
            "escrow": settings.privacy_mode == "escrow",
            "not_escrow": i18n.gettext(NOT_ESCROW, mode=settings.privacy_mode),
            "hours": escrow_service.APPROVAL_HOURS,
        },
    )


@router.post("/cases/{case_id}/escrow")
def request_opening(
    case_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Ask for the opening of the case's days; two officials must approve it."""
    case = case_service.get_or_404(session, case_id=case_id)
    opening = escrow_service.request_opening(
        session,
        principal=principal,
        case=case,
        reason=reason,
    )
    flash(
        request,
        i18n.gettext(
            "Opening of %(first)s – %(last)s asked for. Two officials must approve it with "
            "their share files within %(hours)s hours.",
            first=opening.first_day.strftime("%d/%m/%Y"),
            last=opening.last_day.strftime("%d/%m/%Y"),
            hours=escrow_service.APPROVAL_HOURS,
        ),
    )
    return RedirectResponse(f"/cases/{case.id}/escrow", status_code=303)


@router.post("/escrow-openings/{opening_id}/approve")
def approve(
    opening_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    share: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """An official approves with their share file; with the second the opening is approved
    and the worker's job opens the days and traces the case."""
    raw = share.file.read(escrow_service.SHARE_BYTES + 1) if share is not None else b""
    opening = escrow_service.get_or_404(session, opening_id=opening_id)
    back = f"/cases/{opening.case_id}/escrow"
    try:
        shares = escrow_service.shares_from_upload(
            session, principal=principal, opening_id=opening_id, raw=raw
        )
        done = escrow_service.approve(
            session,
            principal=principal,
            opening_id=opening_id,
            shares=shares,
            secret=settings.secret_key().encode(),
        )
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        session.rollback()
        flash(request, i18n.gettext(exc.message, **exc.params), "error")
        return RedirectResponse(back, status_code=303)
    if done.opening.status is OpeningStatus.APPROVED:
        flash(
            request,
            i18n.gettext(
                "Both shares are given. The check-ins of the case's days are being opened and "
                "the case traced; the result shows here and on the case page within minutes."
            ),
        )
    else:
        flash(
            request,
            i18n.gettext(
                "Your share %(holder)s is recorded. The opening waits for the other share, "
                "from another official.",
                holder=shares.holder.upper(),
            ),
        )
    return RedirectResponse(back, status_code=303)
