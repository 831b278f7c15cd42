"""On-device mode: publish and withdraw signed hotspot notices, list them, count visits.

In this mode the server holds no presence. A health officer marks a venue and a window; the
notice is signed and listed publicly; phones match it against the visits they keep. Visits
reach the server only as anonymous counts per venue and hour.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.ondevice import notices
from epitrace.ondevice.models import AnonymousVisitCount, HotspotNotice
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.keys import Keyring, KeyStatus, Purpose
from epitrace.security.permissions import Principal
from epitrace.tracing.policy import check_hotspot_window
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue

MAX_INSTRUCTIONS = 1000
# Phones fetch 'since' the last answer's mark; notices changed shortly before it are sent
# again, so that one committed just after another's later timestamp is not missed.
SINCE_OVERLAP = timedelta(minutes=2)
PUBLIC_LIST_LIMIT = 2000
METHODS = ("self_scan", "door_scan")


# -- notices ------------------------------------------------------------------------------


def _clean_instructions(vi: str, en: str) -> tuple[str, str]:
    vi, en = vi.strip(), en.strip()
    if not vi:
        raise InvalidInput(
            N_("Write the instructions in Vietnamese."),
            fields={"instructions_vi": N_("This field is required.")},
        )
    if len(vi) > MAX_INSTRUCTIONS or len(en) > MAX_INSTRUCTIONS:
        raise InvalidInput(
            N_("The instructions can be at most 1000 characters long."),
            fields={"instructions_vi": N_("This value is too long.")},
        )
    return vi, en


def _sign(keyring: Keyring, notice: HotspotNotice, *, token: str, status: str) -> None:
    kid, private = keyring.signing_key(Purpose.HOTSPOT_NOTICE)
    assert isinstance(private, ed25519.Ed25519PrivateKey)  # noqa: S101 - the purpose's algorithm
    fields = notices.body(
        notice_id=str(notice.id),
        tag=notices.venue_tag(notices.venue_secret(token), str(notice.id)),
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        severity=notice.severity,
        instructions_vi=notice.instructions_vi,
        instructions_en=notice.instructions_en,
        issued_at=notice.issued_at,
        expires_at=notice.expires_at,
        status=status,
    )
    signed = notices.sign(private, kid, fields)
    notice.kid = signed.kid
    notice.payload = signed.payload
    notice.signature = signed.signature


def _whole_seconds(moment: datetime, *, up: bool = False) -> datetime:
    """Notices carry whole seconds; a window's end is rounded up so that it still covers a
    visit that began in its last second."""
    whole = moment.astimezone(UTC).replace(microsecond=0)
    return whole + timedelta(seconds=1) if up and whole != moment else whole


def publish(
    session: Session,
    *,
    keyring: Keyring,
    venue: Venue,
    starts_at: datetime,
    ends_at: datetime,
    severity: str,
    instructions_vi: str,
    instructions_en: str = "",
    actor: Principal | None,
    now: datetime,
    retention_days: int,
) -> HotspotNotice:
    """Mark a venue and window as a hotspot and publish the signed notice.

    The window ends no later than now; the notice expires with the visits it can match
    (the retention period after the window's end).
    """
    if severity not in notices.SEVERITIES:
        raise InvalidInput(
            N_("Choose one of the allowed values."),
            fields={"severity": N_("Choose one of the allowed values.")},
        )
    check_hotspot_window(starts_at, ends_at, now)
    vi, en = _clean_instructions(instructions_vi, instructions_en)
    end = _whole_seconds(min(ends_at, now), up=True)
    notice = HotspotNotice(
        id=uuid.uuid4(),
        venue_id=venue.id,
        ward_code=venue.ward_code,
        starts_at=_whole_seconds(starts_at),
        ends_at=end,
        severity=severity,
        instructions_vi=vi,
        instructions_en=en,
        issued_at=_whole_seconds(now),
        expires_at=end + timedelta(days=retention_days),
        changed_at=now,
        issued_by=actor.user_id if actor else None,
    )
    _sign(keyring, notice, token=venue_service.token_for(keyring, venue), status="active")
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        subject_type="hotspot_notice",
        subject_id=notice.id,
        purpose="hotspot notice",
        detail={"venue": str(venue.id), "severity": severity},
    )
    return notice


@dataclass(frozen=True)
class VisitWindow:
    """A stay of a case at a venue, as the case's phone shows it."""

    venue_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


def publish_case_notices(
    session: Session,
    *,
    keyring: Keyring,
    visits: Sequence[VisitWindow],
    severity: str,
    instructions_vi: str,
    instructions_en: str = "",
    actor: Principal | None,
    now: datetime,
    retention_days: int,
) -> list[HotspotNotice]:
    """On-device "tracing" of a case: one notice per venue stay the case's phone lists.

    The department cannot find a case's venues itself in this mode (it holds no presence);
    the case shows the visits kept on their phone and the officer publishes them. The
    contacts are never known to the server: each phone finds out on its own.
    """
    published = []
    for visit in visits:
        venue = venue_service.get_or_404(session, venue_id=visit.venue_id)
        published.append(
            publish(
                session,
                keyring=keyring,
                venue=venue,
                starts_at=visit.starts_at,
                ends_at=visit.ends_at,
                severity=severity,
                instructions_vi=instructions_vi,
                instructions_en=instructions_en,
                actor=actor,
                now=now,
                retention_days=retention_days,
            )
        )
    return published


def get_or_404(session: Session, *, notice_id: uuid.UUID) -> HotspotNotice:
    notice = session.get(HotspotNotice, notice_id)
    if notice is None:
        raise NotFound(N_("No such hotspot notice."))
    return notice


def withdraw(
    session: Session,
    *,
    keyring: Keyring,
    notice: HotspotNotice,
    actor: Principal | None,
    now: datetime,
) -> HotspotNotice:
    """Withdraw a notice: it is published again, signed, with the status 'withdrawn'."""
    if notice.withdrawn_at is not None:
        raise Conflict(N_("This notice was already withdrawn."))
    venue = venue_service.get_or_404(session, venue_id=notice.venue_id)
    notice.withdrawn_at = now
    notice.withdrawn_by = actor.user_id if actor else None
    notice.changed_at = now
    _sign(keyring, notice, token=venue_service.token_for(keyring, venue), status="withdrawn")
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        subject_type="hotspot_notice",
        subject_id=notice.id,
        purpose="hotspot notice withdrawn",
        detail={"venue": str(venue.id)},
    )
    return notice


def public_list(
    session: Session, *, now: datetime, since: datetime | None = None
) -> list[HotspotNotice]:
    """Notices not yet expired (changed since `since`, with a small overlap), oldest change
    first."""
    stmt = select(HotspotNotice).where(HotspotNotice.expires_at > now)
    if since is not None:
        stmt = stmt.where(HotspotNotice.changed_at >= since - SINCE_OVERLAP)
    stmt = stmt.order_by(HotspotNotice.changed_at, HotspotNotice.id).limit(PUBLIC_LIST_LIMIT)
    return list(session.scalars(stmt))


def list_etag(found: Sequence[HotspotNotice]) -> str:
    """An entity tag of a public list: it changes whenever a notice in it does."""
    digest = hashlib.sha256()
    for notice in found:
        digest.update(f"{notice.id}:{notice.signature};".encode())
    return f'"{digest.hexdigest()[:32]}"'


def get_all(
    session: Session, *, area_paths: Sequence[str | None], limit: int = 200
) -> list[tuple[HotspotNotice, str]]:
    """Notices of venues in these areas, newest first, with their venue's name."""
    stmt = (
        select(HotspotNotice, Venue.name)
        .join(Venue, Venue.id == HotspotNotice.venue_id)
        .where(place_service.within_areas(HotspotNotice.ward_code, area_paths))
        .order_by(HotspotNotice.issued_at.desc())
        .limit(limit)
    )
    return [(notice, name) for notice, name in session.execute(stmt)]


def public_keys(keyring: Keyring) -> list[tuple[int, str, str]]:
    """(key id, raw public key base64url, status) of every key a phone should accept."""
    keyring.ensure(Purpose.HOTSPOT_NOTICE)
    found = []
    for info in keyring.list(Purpose.HOTSPOT_NOTICE):
        if info.status is KeyStatus.RETIRED:
            continue
        public = keyring.verifying_key(Purpose.HOTSPOT_NOTICE, info.kid)
        assert isinstance(public, ed25519.Ed25519PublicKey)  # noqa: S101 - the purpose's key
        found.append((info.kid, notices.raw_public_key(public), info.status.value))
    return found


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete notices past their expiry: no phone keeps a visit they could match."""
    result = session.execute(delete(HotspotNotice).where(HotspotNotice.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


# -- anonymous counts ---------------------------------------------------------------------


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def count_visit(
    session: Session, *, venue_id: uuid.UUID, at: datetime, method: str, people: int = 1
) -> None:
    """Add `people` to the venue's count of the hour of `at`; nothing else is stored."""
    if method not in METHODS:
        raise ValueError(f"unknown counting method {method!r}")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(AnonymousVisitCount).values(
        venue_id=venue_id, hour=hour_of(at), method=method, visits=people
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["venue_id", "hour", "method"],
            set_={"visits": AnonymousVisitCount.visits + people},
        )
    )


@dataclass(frozen=True)
class HourCount:
    hour: datetime
    self_scans: int
    door_scans: int


def counts_of(
    session: Session, *, venue_id: uuid.UUID, since: datetime, until: datetime
) -> list[HourCount]:
    """The venue's anonymous counts per hour in [since, until)."""
    stmt = (
        select(AnonymousVisitCount.hour, AnonymousVisitCount.method, AnonymousVisitCount.visits)
        .where(
            AnonymousVisitCount.venue_id == venue_id,
            AnonymousVisitCount.hour >= hour_of(since),
            AnonymousVisitCount.hour < until,
        )
        .order_by(AnonymousVisitCount.hour)
    )
    hours: dict[datetime, dict[str, int]] = {}
    for hour, method, visits in session.execute(stmt):
        hours.setdefault(hour, {})[method] = int(visits)
    return [
        HourCount(hour, by.get("self_scan", 0), by.get("door_scan", 0))
        for hour, by in hours.items()
    ]


def total_counted(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(AnonymousVisitCount.visits), 0))) or 0)


@dataclass(frozen=True)
class VenueTotal:
    venue_id: uuid.UUID
    venue_name: str
    ward_code: str
    checkins: int


@dataclass(frozen=True)
class WardTotal:
    ward_code: str
    ward_name: str
    checkins: int
    venues: int


def day_counts(
    session: Session, *, start: datetime, end: datetime, area_paths: Sequence[str | None]
) -> tuple[list[VenueTotal], list[WardTotal]]:
    """Anonymous visits per venue and per ward in [start, end), inside the areas (the same
    shape as the check-in counts of the central mode)."""
    visits = func.sum(AnonymousVisitCount.visits)
    in_range = (AnonymousVisitCount.hour >= start) & (AnonymousVisitCount.hour < end)
    per_venue = (
        select(Venue.id, Venue.name, Venue.ward_code, visits)
        .join(AnonymousVisitCount, AnonymousVisitCount.venue_id == Venue.id)
        .where(in_range, place_service.within_areas(Venue.ward_code, area_paths))
        .group_by(Venue.id, Venue.name, Venue.ward_code)
        .order_by(visits.desc(), Venue.name)
    )
    venues = [
        VenueTotal(vid, name, ward, int(n)) for vid, name, ward, n in session.execute(per_venue)
    ]
    wards: dict[str, list[int]] = {}
    for venue in venues:
        total = wards.setdefault(venue.ward_code, [0, 0])
        total[0] += venue.checkins
        total[1] += 1
    return venues, sorted(
        (
            WardTotal(code, place_service.name_of(session, code), n, v)
            for code, (n, v) in wards.items()
        ),
        key=lambda w: w.ward_name,
    )
