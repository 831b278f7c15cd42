"""JSON routes of on-device mode: public signed notices and keys, anonymous visit counts, and
the health officers' publishing and withdrawing of hotspot notices."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import Request, Response

from epitrace.checkins import modes, policy
from epitrace.checkins import service as checkin_service
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, InvalidInput
from epitrace.ondevice import access, service
from epitrace.ondevice.models import HotspotNotice
from epitrace.ondevice.schemas import (
    HourCountOut,
    NoticeIn,
    NoticeKeyOut,
    NoticeKeysOut,
    NoticeListOut,
    NoticeOut,
    SignedNoticeOut,
    VisitCountIn,
    VisitCountOut,
)
from epitrace.security import ratelimit
from epitrace.security.permissions import public, require
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession
from epitrace.web.fields import MedicalDate
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["on-device"])

# Phones fetch on every page load. A shared cache (a CDN) may answer for a minute; browsers
# ask again each time, with the ETag, and an unchanged list costs a 304.
NOTICES_CACHE = "public, max-age=0, s-maxage=60"
# Anonymous counts are limited per venue only (nothing about the caller is looked at): a
# flood can spoil one venue's figures for a minute, never link a count to a person.
COUNTS_PER_VENUE_PER_MINUTE = 600

NOT_ON_DEVICE = N_("Anonymous counts are taken only in the on-device privacy mode.")


def notice_out(notice: HotspotNotice, venue_name: str) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        venue_id=notice.venue_id,
        venue_name=venue_name,
        ward_code=notice.ward_code,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        severity=notice.severity,
        instructions_vi=notice.instructions_vi,
        instructions_en=notice.instructions_en,
        issued_at=notice.issued_at,
        expires_at=notice.expires_at,
        withdrawn_at=notice.withdrawn_at,
    )


@router.get(
    "/hotspot-notices",
    response_model=NoticeListOut,
    responses={304: {"description": "Nothing changed since the copy the caller holds (ETag)."}},
)
@public
def list_notices(request: Request, session: DbSession, since: datetime | None = None) -> Response:
    """The signed hotspot notices in force (and withdrawn ones, marked so), for phones.

    Pass the previous answer's `next_since` as `since` to get only what changed. Venues are
    not named: each notice carries a tag only a phone that scanned the venue can match. The
    answer carries an ETag: send it back in If-None-Match and an unchanged list is a 304.
    """
    now = utcnow()
    if since is not None and since.tzinfo is None:
        raise InvalidInput(N_("Give the time with its time zone (for example +07:00)."))
    found = service.public_list(session, now=now, since=since)
    etag = service.list_etag(found)
    headers = {"Cache-Control": NOTICES_CACHE, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = NoticeListOut(
        generated_at=now,
        next_since=max((n.changed_at for n in found), default=since or now),
        notices=[
            SignedNoticeOut(id=n.id, kid=n.kid, payload=n.payload, signature=n.signature)
            for n in found
        ],
    )
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


@router.get("/hotspot-notices/keys", response_model=NoticeKeysOut)
@public
def notice_keys(response: Response, keyring: AppKeyring) -> NoticeKeysOut:
    """The Ed25519 public keys that sign hotspot notices (raw, base64url), by key id."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return NoticeKeysOut(
        keys=[
            NoticeKeyOut(kid=kid, public_key=key, status=status)
            for kid, key, status in service.public_keys(keyring)
        ]
    )


@router.post("/hotspot-notices", response_model=NoticeOut, status_code=201)
def publish_notice(
    body: NoticeIn,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> NoticeOut:
    """Mark a venue and window as a hotspot: a signed notice is published for phones."""
    venue = venue_service.get_or_404(session, venue_id=body.venue_id)
    user = access.publish(principal, session, venue.ward_code)
    notice = service.publish(
        session,
        keyring=keyring,
        venue=venue,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        severity=body.severity,
        instructions_vi=body.instructions_vi,
        instructions_en=body.instructions_en,
        actor=user,
        now=utcnow(),
        retention_days=settings.retention_days,
    )
    return notice_out(notice, venue.name)


@router.post("/hotspot-notices/{notice_id}/withdraw", response_model=NoticeOut)
def withdraw_notice(
    notice_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, keyring: AppKeyring
) -> NoticeOut:
    """Withdraw a notice: phones receive it again, signed, marked as withdrawn."""
    notice = service.get_or_404(session, notice_id=notice_id)
    user = access.publish(principal, session, notice.ward_code)
    service.withdraw(session, keyring=keyring, notice=notice, actor=user, now=utcnow())
    venue = venue_service.get_or_404(session, venue_id=notice.venue_id)
    return notice_out(notice, venue.name)


@router.get("/hotspot-notices/issued", response_model=list[NoticeOut])
def issued_notices(session: DbSession, principal: CurrentPrincipal) -> list[NoticeOut]:
    """The notices of venues in the caller's areas, newest first (at most 200)."""
    user = require(principal, Action.ALERTS_CONTACT)
    paths = user.area_paths(Action.ALERTS_CONTACT)
    return [notice_out(n, name) for n, name in service.get_all(session, area_paths=paths)]


@router.post("/venue-counts", response_model=VisitCountOut, status_code=201)
@public
def count_visit(
    body: VisitCountIn, session: DbSession, settings: AppSettings, keyring: AppKeyring
) -> VisitCountOut:
    """On-device mode: a phone kept a visit and says so anonymously (venue and hour only).

    Send it without cookies or tokens: nothing about the caller is read or stored. The answer
    is what the phone keeps with the visit (the venue's name and default dwell time).
    """
    if not modes.on_device(settings):
        raise Conflict(NOT_ON_DEVICE)
    venue = venue_service.resolve_token(session, keyring, body.token)
    ratelimit.hit(
        session,
        key=f"venue-count:{venue.id}",
        limit=COUNTS_PER_VENUE_PER_MINUTE,
        window_seconds=60,
    )
    now = utcnow()
    at = body.hour or now
    problem = policy.scan_time_problem(
        at,
        now=now,
        retention_days=settings.retention_days,
        max_age=timedelta(hours=settings.limit_scan_max_age_hours),
    )
    if problem is not None:
        raise InvalidInput(
            N_("This hour cannot be counted (in the future or too long ago)."),
            fields={"hour": N_("This value is not valid.")},
        )
    service.count_visit(session, venue_id=venue.id, at=at, method="self_scan", people=body.people)
    return VisitCountOut(
        venue_id=venue.id,
        venue_name=venue.name,
        venue_address=venue.address,
        dwell_minutes=policy.DWELL_MINUTES[venue.category],
    )


@router.get("/venues/{venue_id}/anonymous-counts", response_model=list[HourCountOut])
def venue_counts(
    venue_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, day: MedicalDate
) -> list[HourCountOut]:
    """On-device mode: a venue's anonymous counts per hour on a local day."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    access.counts(principal, session, venue.ward_code)
    start, end = checkin_service.local_day_bounds(day)
    return [
        HourCountOut(hour=c.hour, self_scans=c.self_scans, door_scans=c.door_scans)
        for c in service.counts_of(session, venue_id=venue.id, since=start, until=end)
    ]
