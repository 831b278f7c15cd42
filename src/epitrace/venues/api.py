"""JSON routes of the venue registry: venues, codes, posters, operators.

Organisations, which own venues, are managed by the rollout domain's routes.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query, Response
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.config import Settings
from epitrace.errors import N_, InvalidInput
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.keys import Keyring
from epitrace.security.permissions import public
from epitrace.venues import access, posters
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueStatus
from epitrace.venues.schemas import (
    OperatorIn,
    OperatorOut,
    PublicVenueOut,
    VenueIn,
    VenueOut,
    VenuePage,
)
from epitrace.web import exports, i18n
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession
from epitrace.web.fields import Limit, Offset
from epitrace.web.openapi import file_responses
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["venues"])

PosterSize = Literal["a4", "a5"]


def venue_out(venue: Venue, *, keyring: Keyring | None = None, base_url: str = "") -> VenueOut:
    out = VenueOut.model_validate(venue)
    if keyring is not None:
        out.qr_url = venue_service.url_for(keyring, venue, base_url=base_url)
    return out


def poster_text(session: Session, venue: Venue, *, url: str) -> posters.PosterText:
    ward = place_service.get(session, code=venue.ward_code)
    category = venue_service.CATEGORY_NAMES[venue.category]
    # Posters hang at the door for everyone: always Vietnamese.
    label = i18n.translations("vi").ugettext(category)
    address = venue.address
    if venue.vehicle_plate:
        address = " · ".join(x for x in (venue.vehicle_plate, venue.vehicle_route, address) if x)
    return posters.PosterText(
        venue_name=venue.name,
        address=address,
        ward_name=ward.name if ward else "",
        category_label=label,
        url=url,
    )


@router.post("/venues", response_model=VenueOut, status_code=201)
def create_venue(
    body: VenueIn,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> VenueOut:
    """Register a venue; the staff account that registers it becomes its operator."""
    _check_ward(session, body.ward_code)
    access.can_manage_organisations(principal)  # the role first: an id reveals nothing
    organisation = (
        venue_service.get_organisation(session, organisation_id=body.organisation_id)
        if body.organisation_id is not None
        else None
    )
    user = access.can_create(session, principal, body.ward_code, organisation=organisation)
    venue = venue_service.create(session, **body.model_dump(), created_by=user.user_id)
    audit.record(session, actor=user, action="create", subject_type="venue", subject_id=venue.id)
    return venue_out(venue, keyring=keyring, base_url=settings.base_url)


def _check_ward(session: Session, code: str) -> None:
    """A helpful 422 for a mistyped ward, before the area check would answer 403."""
    if place_service.get(session, code=code) is not None:
        return
    raise InvalidInput(
        N_("The ward %(code)s does not exist."),
        params={"code": code},
        fields={"ward_code": N_("Choose a ward from the list of administrative units.")},
    )


@router.get("/venues", response_model=VenuePage)
def list_venues(
    session: DbSession,
    principal: CurrentPrincipal,
    ward: Annotated[str | None, Query(max_length=16)] = None,
    status: VenueStatus | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[Limit, Query(le=500)] = 100,
    offset: Offset = 0,
) -> VenuePage:
    """Venues of the caller's area (operators: the venues they run)."""
    user = access.can_list(principal)
    paths, operator_id = access.list_scope(user)
    venues, total = venue_service.get_all(
        session,
        area_paths=paths,
        operator_id=operator_id,
        ward_code=ward,
        status=status,
        query=q,
        limit=limit,
        offset=offset,
    )
    return VenuePage(items=[venue_out(v) for v in venues], total=total)


@router.get("/venues/{venue_id}", response_model=VenueOut)
def get_venue(
    venue_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> VenueOut:
    """One venue with its current QR address."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    access.can_read(session, principal, venue)
    return venue_out(venue, keyring=keyring, base_url=settings.base_url)


@router.post("/venues/{venue_id}/suspend", response_model=VenueOut)
def suspend_venue(venue_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> VenueOut:
    """Close the venue for a while (e.g. disinfection): check-ins are refused."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.can_manage(session, principal, venue)
    venue_service.suspend(session, venue=venue)
    audit.record(session, actor=user, action="suspend", subject_type="venue", subject_id=venue.id)
    return venue_out(venue)


@router.post("/venues/{venue_id}/resume", response_model=VenueOut)
def resume_venue(venue_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> VenueOut:
    """Open a suspended venue again."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.can_manage(session, principal, venue)
    venue_service.resume(session, venue=venue)
    audit.record(session, actor=user, action="resume", subject_type="venue", subject_id=venue.id)
    return venue_out(venue)


@router.post("/venues/{venue_id}/reissue", response_model=VenueOut)
def reissue_code(
    venue_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> VenueOut:
    """Revoke the venue's printed codes and issue a new one (print the poster again)."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.can_manage(session, principal, venue)
    venue_service.reissue_code(session, venue=venue)
    audit.record(
        session,
        actor=user,
        action="reissue_code",
        subject_type="venue",
        subject_id=venue.id,
        detail={"code_version": venue.code_version},
    )
    return venue_out(venue, keyring=keyring, base_url=settings.base_url)


def _poster(
    session: Session,
    venue_id: uuid.UUID,
    principal: CurrentPrincipal,
    keyring: Keyring,
    settings: Settings,
) -> tuple[Venue, posters.PosterText]:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    access.can_manage(session, principal, venue)
    url = venue_service.url_for(keyring, venue, base_url=settings.base_url)
    venue_service.mark_poster_downloaded(session, venue=venue)
    return venue, poster_text(session, venue, url=url)


def poster_disposition(venue: Venue, ext: str) -> str:
    """`ma-qr-cho-ben-thanh-12.pdf`: a printed stack of posters is told apart by file name."""
    name = f"ma-qr-{exports.slug(venue.name)[:80]}-{venue.number}.{ext}"
    return exports.disposition(name, inline=True)


@router.get("/venues/{venue_id}/poster.pdf", responses=file_responses("application/pdf"))
def poster_pdf(
    venue_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
    size: PosterSize = "a4",
) -> Response:
    """The printable poster (PDF, A4 or A5) with the venue's QR code."""
    venue, text = _poster(session, venue_id, principal, keyring, settings)
    return Response(
        posters.pdf(text, size=size),
        media_type="application/pdf",
        headers={"Content-Disposition": poster_disposition(venue, "pdf")},
    )


@router.get("/venues/{venue_id}/poster.png", responses=file_responses("image/png"))
def poster_png(
    venue_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
    size: PosterSize = "a5",
) -> Response:
    """The poster as a PNG image (150 dpi)."""
    venue, text = _poster(session, venue_id, principal, keyring, settings)
    return Response(
        posters.png(text, size=size),
        media_type="image/png",
        headers={"Content-Disposition": poster_disposition(venue, "png")},
    )


@router.get("/venues/{venue_id}/operators", response_model=list[OperatorOut])
def list_operators(
    venue_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> list[OperatorOut]:
    """The staff accounts that run the venue's door."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    access.can_manage(session, principal, venue)
    return [
        OperatorOut(user_id=a.id, username=a.username, display_name=a.display_name)
        for a in venue_service.get_operators(session, venue_id=venue.id)
    ]


@router.post("/venues/{venue_id}/operators", response_model=OperatorOut, status_code=201)
def add_operator(
    venue_id: uuid.UUID, body: OperatorIn, session: DbSession, principal: CurrentPrincipal
) -> OperatorOut:
    """Let another staff account run the venue's door."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.can_manage(session, principal, venue)
    account = account_service.get_by_username(session, username=body.username)
    if account is None:
        raise InvalidInput(
            N_("There is no staff account %(username)s."),
            params={"username": body.username},
            fields={"username": N_("Enter the user name of a staff account.")},
        )
    venue_service.add_operator(session, venue=venue, user_id=account.id)
    audit.record(
        session,
        actor=user,
        action="add_operator",
        subject_type="venue",
        subject_id=venue.id,
        detail={"user_id": str(account.id)},
    )
    return OperatorOut(
        user_id=account.id, username=account.username, display_name=account.display_name
    )


@router.get("/venue-codes/{token}", response_model=PublicVenueOut)
@public
def read_code(token: str, session: DbSession, keyring: AppKeyring) -> PublicVenueOut:
    """What a scanned venue code points to; refused codes answer 422 or 410 with the reason."""
    venue = venue_service.resolve_token(session, keyring, token[:400])
    ward = place_service.get(session, code=venue.ward_code)
    return PublicVenueOut(
        id=venue.id,
        name=venue.name,
        category=venue.category,
        category_label=i18n.gettext(venue_service.CATEGORY_NAMES[venue.category]),
        address=venue.address,
        ward_name=ward.name if ward else "",
        status=venue.status,
    )
