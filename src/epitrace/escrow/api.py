"""JSON routes of the escrow mode: a health officer asks to open a case's days; two officials
approve, each uploading their share file; once both are in, the worker's job opens the days,
traces the case and discards the identities (the opening's state says when)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import File, UploadFile

from epitrace.cases import service as case_service
from epitrace.escrow import service as escrow_service
from epitrace.escrow.schemas import OpeningIn, OpeningOut
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["escrow"])


@router.post("/cases/{case_id}/escrow-openings", response_model=OpeningOut, status_code=201)
def request_opening(
    case_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    body: OpeningIn | None = None,
) -> OpeningOut:
    """Ask for the opening of a case's days (escrow mode); two officials must approve it."""
    case = case_service.get_or_404(session, case_id=case_id)
    opening = escrow_service.request_opening(
        session,
        principal=principal,
        case=case,
        reason=body.reason if body else "",
    )
    return OpeningOut.model_validate(opening)


@router.post("/escrow-openings/{opening_id}/approvals", response_model=OpeningOut, status_code=201)
def approve(
    opening_id: uuid.UUID,
    share: Annotated[UploadFile, File(description="Your share file from the key ceremony.")],
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> OpeningOut:
    """Approve an opening with your share. With the second share the opening is approved and
    the worker opens, traces and discards within the minute: follow it with GET."""
    shares = escrow_service.shares_from_upload(
        session,
        principal=principal,
        opening_id=opening_id,
        raw=share.file.read(escrow_service.SHARE_BYTES + 1),
    )
    done = escrow_service.approve(
        session,
        principal=principal,
        opening_id=opening_id,
        shares=shares,
        secret=settings.secret_key().encode(),
    )
    return OpeningOut.model_validate(done.opening)


@router.get("/escrow-openings/{opening_id}", response_model=OpeningOut)
def get_opening(
    opening_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> OpeningOut:
    """An opening's state; once traced, its F1/F2 counts (the contacts are the case's)."""
    opening, trace = escrow_service.get_for(session, principal=principal, opening_id=opening_id)
    out = OpeningOut.model_validate(opening)
    if trace is not None:
        out.f1_count, out.f2_count = trace.f1_count, trace.f2_count
    return out
