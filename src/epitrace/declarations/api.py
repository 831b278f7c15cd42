"""JSON routes: declare, history, status, personal passes, door verification, officials' lists."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Annotated, Literal

import segno
from fastapi import Query, Response

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.db import utcnow
from epitrace.declarations import access, export, passes
from epitrace.declarations import service as declaration_service
from epitrace.declarations.models import Declaration
from epitrace.declarations.schemas import (
    DeclarationCreated,
    DeclarationIn,
    DeclarationOut,
    FlaggedOut,
    FollowUpIn,
    FollowUpOut,
    PassOut,
    StatusOut,
    VerifyIn,
    VerifyOut,
    WardDayCount,
)
from epitrace.declarations.status import Status
from epitrace.places import service as place_service
from epitrace.web import exports, i18n
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession
from epitrace.web.openapi import file_responses
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["declarations"])

Days = Annotated[int, Query(ge=1, le=60)]


def status_out(person: Person, current: Status, latest: Declaration | None) -> StatusOut:
    return StatusOut(
        person_id=person.id,
        full_name=person.full_name,
        colour=current.colour.label,
        reason_code=current.code,
        reason=i18n.gettext(current.reason, **current.params),
        last_declared_at=latest.submitted_at if latest else None,
    )


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=4)


@router.post("/declarations", status_code=201, response_model=DeclarationCreated)
def create_declaration(
    data: DeclarationIn, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> DeclarationCreated:
    """Submit a health declaration for oneself, a relative in one's care or another person."""
    me = access.citizen(principal)
    now = utcnow()
    declaration = declaration_service.create(
        session,
        account_id=me.principal.user_id,
        account_person_id=me.person_id,
        data=data,
        now=now,
        others_per_day=settings.limit_declarations_for_others_per_day,
    )
    person = account_service.get_person(session, person_id=declaration.person_id)
    current = declaration_service.get_status(
        session, person_id=person.id, policy=settings.status_policy, now=now
    )
    return DeclarationCreated(
        declaration=DeclarationOut.model_validate(declaration),
        status=status_out(person, current, declaration),
    )


@router.get("/declarations", response_model=list[DeclarationOut])
def list_declarations(
    session: DbSession, principal: CurrentPrincipal, person_id: uuid.UUID | None = None
) -> list[Declaration]:
    """The declaration history of oneself or a relative in one's care, newest first."""
    if person_id is None:
        person_id = access.citizen(principal).person_id
    access.act_for(session, principal, person_id)
    return declaration_service.get_history(session, person_id=person_id)


@router.get("/declarations/status", response_model=list[StatusOut])
def my_statuses(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> list[StatusOut]:
    """The status colour and its reason for oneself and each relative in one's care."""
    me = access.citizen(principal)
    now = utcnow()
    people = [account_service.get_person(session, person_id=me.person_id)]
    people += account_service.get_dependents(session, guardian_id=me.person_id)
    out = []
    for person in people:
        current = declaration_service.get_status(
            session, person_id=person.id, policy=settings.status_policy, now=now
        )
        latest = declaration_service.get_latest(session, person_id=person.id)
        out.append(status_out(person, current, latest))
    return out


@router.get("/passes/{person_id}", response_model=PassOut)
def get_pass(
    person_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    keyring: AppKeyring,
) -> PassOut:
    """A fresh personal pass (valid a few minutes) for oneself or a relative in one's care."""
    access.act_for(session, principal, person_id)
    person = account_service.get_person(session, person_id=person_id)
    now = utcnow()
    text, current = declaration_service.issue_pass(
        session, keyring=keyring, person=person, policy=settings.status_policy, now=now
    )
    lifetime = timedelta(minutes=passes.DEFAULT_LIFETIME_MINUTES)
    issued_at = now.replace(microsecond=0)
    return PassOut(
        person_id=person.id,
        full_name=person.full_name,
        text=text,
        colour=current.colour.label,
        reason=i18n.gettext(current.reason, **current.params),
        issued_at=issued_at,
        expires_at=issued_at + lifetime,
        # refresh well before expiry so that the code shown is never stale
        refresh_in_seconds=int(lifetime.total_seconds() * 0.6),
        qr_svg=qr_svg(text),
    )


@router.get("/passes/{person_id}/qr.svg", responses=file_responses("image/svg+xml"))
def get_pass_qr(
    person_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    keyring: AppKeyring,
) -> Response:
    """A fresh personal pass as an SVG QR code (never cached)."""
    access.act_for(session, principal, person_id)
    person = account_service.get_person(session, person_id=person_id)
    text, current = declaration_service.issue_pass(
        session, keyring=keyring, person=person, policy=settings.status_policy, now=utcnow()
    )
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=4)
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "X-Pass-Colour": current.colour.label},
    )


@router.post("/passes/verify", response_model=VerifyOut)
def verify_pass(
    data: VerifyIn, session: DbSession, principal: CurrentPrincipal, keyring: AppKeyring
) -> VerifyOut:
    """Check a scanned personal pass: its colour and the holder's name (the read is logged)."""
    user = access.verify_passes(principal)
    verified = declaration_service.verify_pass(
        session, keyring=keyring, actor=user, text=data.text, now=utcnow()
    )
    return VerifyOut(
        colour=verified.claims.colour.label,
        display_name=verified.person.full_name,
        birth_year=verified.person.birth_year,
        issued_at=verified.claims.issued_at,
        expires_at=verified.claims.expires_at,
    )


def flagged_out(rows: list[declaration_service.FlaggedRow]) -> list[FlaggedOut]:
    return [
        FlaggedOut(
            id=r.declaration.id,
            person_id=r.declaration.person_id,
            full_name=r.declaration.full_name,
            phone=r.declaration.phone,
            ward_code=r.declaration.ward_code,
            ward_name=r.ward_name,
            street=r.declaration.street,
            symptoms=r.declaration.symptoms,
            exposures=r.declaration.exposures,
            submitted_at=r.declaration.submitted_at,
            followed_up_at=r.follow_up.created_at if r.follow_up else None,
            followed_up_by=r.follow_up.by_label if r.follow_up else None,
        )
        for r in rows
    ]


def _flagged(
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None,
    days: int,
    ward: str | None,
    kind: Literal["symptoms", "exposure"] | None,
    followed_up: bool | None,
    purpose: str,
) -> list[declaration_service.FlaggedRow]:
    scope = access.review(session, principal, area)
    ward_path = place_service.path_of(session, code=ward) if ward else None
    if ward and scope.path is not None and not (ward_path or "").startswith(scope.path):
        ward = "-"  # a ward outside the area: nothing to show
    rows = declaration_service.get_flagged(
        session,
        area_path=scope.path,
        since=utcnow() - timedelta(days=days),
        ward_code=ward,
        kind=kind,
        followed_up=followed_up,
    )
    declaration_service.audit_list_read(session, actor=scope.principal, rows=rows, purpose=purpose)
    return rows


@router.get("/declarations/flagged", response_model=list[FlaggedOut])
def list_flagged(
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None = None,
    days: Days = 7,
    ward: str | None = None,
    kind: Literal["symptoms", "exposure"] | None = None,
    followed_up: bool | None = None,
) -> list[FlaggedOut]:
    """Declarations with symptoms or exposure in an area over the last days (reads logged)."""
    rows = _flagged(session, principal, area, days, ward, kind, followed_up, "declaration.review")
    return flagged_out(rows)


@router.get("/declarations/flagged.{fmt}", responses=exports.RESPONSES)
def export_flagged(
    fmt: exports.Format,
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None = None,
    days: Days = 7,
    ward: str | None = None,
    kind: Literal["symptoms", "exposure"] | None = None,
    followed_up: bool | None = None,
) -> Response:
    """The same list as XLSX or CSV with Vietnamese headers (reads logged)."""
    rows = _flagged(session, principal, area, days, ward, kind, followed_up, "declaration.export")
    return exports.respond(
        fmt, [export.flagged_sheet(rows)], name_parts=["khai-bao", ward or area or "tat-ca"]
    )


@router.get("/declarations/counts", response_model=list[WardDayCount])
def count_declarations(
    session: DbSession, principal: CurrentPrincipal, area: str | None = None, days: Days = 7
) -> list[WardDayCount]:
    """Declarations per ward per day (local), with how many had symptoms or exposure."""
    scope = access.counts(session, principal, area)
    rows = declaration_service.count_per_ward_day(
        session, area_path=scope.path, since=utcnow() - timedelta(days=days)
    )
    return [WardDayCount(**vars(r)) for r in rows]


@router.post("/declarations/{declaration_id}/follow-up", response_model=FollowUpOut)
def follow_up(
    declaration_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    data: FollowUpIn | None = None,
) -> FollowUpOut:
    """Mark a declaration as followed up by the health station (audited)."""
    access.reviewer(principal)
    declaration = declaration_service.get(session, declaration_id=declaration_id)
    user = access.follow_up(session, principal, declaration.ward_code)
    mark = declaration_service.mark_followed_up(
        session, actor=user, declaration=declaration, note=data.note if data else ""
    )
    return FollowUpOut(
        declaration_id=declaration.id, followed_up_at=mark.created_at, followed_up_by=mark.by_label
    )
