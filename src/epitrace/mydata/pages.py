"""HTML pages of "My data" (Dữ liệu của tôi) and the receipt of an erasure request."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.accounts import service as account_service
from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.db import utcnow
from epitrace.errors import N_, InvalidInput
from epitrace.mydata import access, flows
from epitrace.mydata import service as mydata_service
from epitrace.mydata.api import build, history
from epitrace.security.permissions import allow_public, public
from epitrace.web import i18n
from epitrace.web import sessions as web_sessions
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, flash
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

WHAT = {
    "person": N_("Profile"),
    "lab_test": N_("Test"),
    "case": N_("Case"),
    "case_contacts": N_("Contacts of a case"),
    "quarantine_order": N_("Quarantine order"),
    "declaration": N_("Health declaration"),
    "feedback": N_("Feedback"),
    "user_account": N_("Account"),
    "user": N_("Account"),
}
ACTIONS = {
    "read": N_("read"),
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "export": N_("exported"),
    "merge": N_("merged"),
}


@router.get("/me/data", response_class=HTMLResponse)
def my_data_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> HTMLResponse:
    user = access.citizen(principal)
    data = build(session, user, settings)
    names = {p.id: p.full_name for p in data.people}
    return render(
        request,
        "mydata/index.html",
        {
            "data": data,
            "history": history(session, user, settings),
            "names": names,
            "what": {k: i18n.gettext(v) for k, v in WHAT.items()},
            "actions": {k: i18n.gettext(v) for k, v in ACTIONS.items()},
            "notice_version": PRIVACY_NOTICE_VERSION,
        },
    )


@router.post("/me/data/notice")
def accept_notice(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    user = access.citizen(principal)
    if version != PRIVACY_NOTICE_VERSION:
        raise InvalidInput(
            N_("The privacy notice has changed. Reload the page and read the new version."),
            code="notice_outdated",
        )
    account = account_service.get_account_or_404(session, user_id=user.principal.user_id)
    account_service.accept_privacy_notice(
        session, account=account, version=PRIVACY_NOTICE_VERSION, at=utcnow()
    )
    flash(request, i18n.gettext("Thank you: your acceptance of the privacy notice is recorded."))
    return RedirectResponse("/me/data#notice", status_code=303)


@router.post("/me/data/erasure")
def request_erasure(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    user = access.citizen(principal)
    if confirm != "yes":
        raise InvalidInput(
            N_("Tick the box to confirm that you want your data erased."),
            fields={"confirm": N_("Tick the box to confirm.")},
            code="erasure_unconfirmed",
        )
    erasure = flows.request_erasure(
        session, actor=user.principal, person_id=user.person_id, settings=settings, now=utcnow()
    )
    if erasure.status == flows.DONE:
        # the account and its sessions are gone: the browser is signed out with them
        web_sessions.sign_out(request, session)
        return RedirectResponse(f"/erasure/{erasure.id}", status_code=303)
    return RedirectResponse("/me/data#erasure", status_code=303)


@router.get("/erasure/{request_id}", response_class=HTMLResponse)
@public
def erasure_receipt(request_id: uuid.UUID, request: Request, session: DbSession) -> HTMLResponse:
    allow_public()
    erasure = mydata_service.erasure_out(flows.get_request(session, request_id=request_id))
    return render(request, "mydata/receipt.html", {"erasure": erasure})
