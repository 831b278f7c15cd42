"""JSON routes of "My data": the citizen's data, its download, who read it, erasure."""

from __future__ import annotations

import json
import uuid

from fastapi import Response

from epitrace.accounts import service as account_service
from epitrace.accounts.models import UserAccount
from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict
from epitrace.mydata import access, flows, pdf
from epitrace.mydata import service as mydata_service
from epitrace.mydata.access import Citizen
from epitrace.mydata.schemas import (
    AccessOut,
    ErasureIn,
    ErasureOut,
    MyDataOut,
    NoticeIn,
    NoticeOut,
)
from epitrace.security.permissions import allow_public, public
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession
from epitrace.web.openapi import file_responses
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["my data"])


def _account(session: DbSession, user: Citizen) -> UserAccount:
    return account_service.get_account_or_404(session, user_id=user.principal.user_id)


def build(session: DbSession, user: Citizen, settings: AppSettings) -> MyDataOut:
    return mydata_service.my_data(
        session,
        account=_account(session, user),
        person_id=user.person_id,
        settings=settings,
        now=utcnow(),
        erasure=flows.latest_request(session, person_id=user.person_id),
    )


def history(session: DbSession, user: Citizen, settings: AppSettings) -> list[AccessOut]:
    people = account_service.people_in_care(session, person_id=user.person_id)
    return mydata_service.access_history(
        session,
        person_ids=[p.id for p in people],
        own_account_ids=[user.principal.user_id],
        show_names=settings.privacy_show_staff_names,
    )


def download_name(extension: str) -> str:
    return f"du-lieu-cua-toi-{utcnow():%Y%m%d}.{extension}"


@router.get("/me/data", response_model=MyDataOut)
def get_my_data(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> MyDataOut:
    """Everything held about you and the relatives you declare for (decree 13/2023/NĐ-CP)."""
    return build(session, access.citizen(principal), settings)


@router.get("/me/data.json", responses=file_responses("application/json"))
def download_json(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> Response:
    """The same as `GET /me/data` with the access history, as a file to keep."""
    user = access.citizen(principal)
    data = build(session, user, settings).model_dump(mode="json")
    data["access_history"] = [a.model_dump(mode="json") for a in history(session, user, settings)]
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{download_name("json")}"'},
    )


@router.get("/me/data.pdf", responses=file_responses("application/pdf"))
def download_pdf(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> Response:
    """A readable copy (PDF, Vietnamese with English beside it)."""
    user = access.citizen(principal)
    body = pdf.render(build(session, user, settings), history(session, user, settings))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{download_name("pdf")}"'},
    )


@router.get("/me/data/access", response_model=list[AccessOut])
def get_access_history(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> list[AccessOut]:
    """Who read or changed your or your relatives' records, and when (newest first)."""
    return history(session, access.citizen(principal), settings)


@router.post("/me/data/notice", response_model=NoticeOut)
def accept_notice(body: NoticeIn, session: DbSession, principal: CurrentPrincipal) -> NoticeOut:
    """Accept the privacy notice in force (send the version you were shown)."""
    user = access.citizen(principal)
    if body.version != PRIVACY_NOTICE_VERSION:
        raise Conflict(
            N_("The privacy notice has changed. Reload the page and read the new version."),
            code="notice_outdated",
        )
    account = _account(session, user)
    account_service.accept_privacy_notice(
        session, account=account, version=PRIVACY_NOTICE_VERSION, at=utcnow()
    )
    return mydata_service.notice_of(account)


@router.post("/me/data/erasure", response_model=ErasureOut, status_code=201)
def request_erasure(
    body: ErasureIn, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> ErasureOut:
    """Ask to erase your and your relatives' data: done at once, or queued until possible."""
    user = access.citizen(principal)
    request = flows.request_erasure(
        session, actor=user.principal, person_id=user.person_id, settings=settings, now=utcnow()
    )
    return mydata_service.erasure_out(request)


@router.get("/me/data/erasure", response_model=ErasureOut)
def get_my_erasure(session: DbSession, principal: CurrentPrincipal) -> ErasureOut:
    """Your latest erasure request and its status (404 when you made none)."""
    user = access.citizen(principal)
    request = flows.latest_request(session, person_id=user.person_id)
    if request is None:
        raise flows.no_request()
    return mydata_service.erasure_out(request)


@router.get("/erasure-requests/{request_id}", response_model=ErasureOut)
@public
def get_erasure(request_id: uuid.UUID, session: DbSession) -> ErasureOut:
    """An erasure request by its receipt number (the account is gone once it is done)."""
    allow_public()
    return mydata_service.erasure_out(flows.get_request(session, request_id=request_id))
