"""Stories that start with a check-in and cross into other domains, in one transaction.

A check-in under a home-quarantine order records a breach: the check-in service writes the
presence (the parent row) first, then the cases service records the breach that points to it.
The routes call these flows instead of the check-in service for every way a visit begins
(the citizen's scan, an offline batch, a pass scanned at the door, an entry by hand). In the
escrow privacy mode (`Sealing`) the presences are sealed (`checkins.sealed`) with the day keys
of the escrow domain, and no breach is recorded: nobody is named beside a venue. In on-device
mode a pass scanned at the door is checked and counted anonymously by the on-device domain
instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, SQLColumnExpression, bindparam, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.cases import service as case_service
from epitrace.checkins import sealed
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import Presence
from epitrace.checkins.sealed import Held, Sealing
from epitrace.checkins.service import (
    BatchItemResult,
    DoorScanResult,
    Outcome,
    PassRefused,
    ScanIn,
    ScanResult,
    VenueCount,
    WardCount,
)
from epitrace.config import Settings
from epitrace.db import UTCDateTime
from epitrace.declarations import passes
from epitrace.declarations.passes import Colour
from epitrace.escrow import service as escrow_service
from epitrace.ondevice import service as ondevice_service
from epitrace.security import audit
from epitrace.security.keys import Keyring
from epitrace.security.permissions import Principal
from epitrace.security.tokens import TokenError
from epitrace.venues.models import Venue


def sealing(session: Session, settings: Settings, held: Sequence[Held] = ()) -> Sealing | None:
    """What a check-in needs in the escrow privacy mode; None in the other modes."""
    if settings.privacy_mode != "escrow":
        return None
    return Sealing(
        key_of=lambda day: escrow_service.public_key(session, day),
        secret=settings.secret_key().encode(),
        held=tuple(held),
    )


def _under_order(person_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    """Asked with the lock on the people of a scan: a quarantine order running at its time."""
    at = bindparam(checkin_service.FLAG_VALUE, type_=UTCDateTime())
    return case_service.under_order(person_id, at)


def _record_breaches(session: Session, presences: Sequence[Presence]) -> None:
    """The cases domain checks each new presence against running home-quarantine orders."""
    for presence in presences:
        case_service.check_quarantine_breach(session, presence=presence)


def self_scan(
    session: Session,
    *,
    keyring: Keyring,
    token: str,
    person_id: uuid.UUID,
    at: datetime,
    dependent_ids: Sequence[uuid.UUID] = (),
    device_id: str | None = None,
    client_key: str | None = None,
    sealing: Sealing | None = None,
) -> ScanResult:
    """A citizen scanned a venue code; a check-in under home quarantine records a breach.

    Whether anyone of the scan is under a quarantine order is asked with the lock on the
    people; a new presence of someone who is not needs no breach check.
    """
    if sealing is not None:
        return sealed.self_scan(
            session,
            keyring=keyring,
            token=token,
            person_id=person_id,
            at=at,
            sealing=sealing,
            dependent_ids=dependent_ids,
            client_key=client_key,
        )
    result = checkin_service.self_scan(
        session,
        keyring=keyring,
        token=token,
        person_id=person_id,
        at=at,
        dependent_ids=dependent_ids,
        device_id=device_id,
        client_key=client_key,
        flag=checkin_service.PersonFlag(_under_order, at),
    )
    if result.outcome == Outcome.CHECKED_IN and not result.duplicate:
        flagged = result.flagged
        _record_breaches(
            session,
            [
                p
                for p in result.presences
                # a presence that began earlier (a dependent already inside) is checked as ever
                if flagged is None or p.person_id in flagged or p.entered_at != at
            ],
        )
    return result


def sync_batch(
    session: Session,
    *,
    keyring: Keyring,
    person_id: uuid.UUID,
    scans: Sequence[ScanIn],
    now: datetime,
    retention_days: int,
    device_id: str | None = None,
    max_age: timedelta | None = None,
    budget: int | None = None,
    sealing: Sealing | None = None,
) -> list[BatchItemResult]:
    """Scans made offline; each accepted check-in under home quarantine records a breach."""
    if sealing is not None:
        return _sealed_batch(
            session,
            keyring=keyring,
            person_id=person_id,
            scans=scans,
            now=now,
            retention_days=retention_days,
            max_age=max_age,
            budget=budget,
            sealing=sealing,
        )
    results = checkin_service.ingest_batch(
        session,
        keyring=keyring,
        person_id=person_id,
        scans=scans,
        now=now,
        retention_days=retention_days,
        device_id=device_id,
        max_age=max_age,
        budget=budget,
    )
    entered = [
        presence_id
        for item in results
        if item.status == "accepted" and item.outcome == Outcome.CHECKED_IN
        for presence_id in item.presence_ids
    ]
    if entered:
        presences = session.scalars(select(Presence).where(Presence.id.in_(entered)))
        _record_breaches(session, list(presences))
    return results


def _sealed_batch(
    session: Session,
    *,
    keyring: Keyring,
    person_id: uuid.UUID,
    scans: Sequence[ScanIn],
    now: datetime,
    retention_days: int,
    max_age: timedelta | None,
    budget: int | None,
    sealing: Sealing,
) -> list[BatchItemResult]:
    """Offline scans in the escrow mode, one by one in time order; the presences each opens
    are held for the next, as the phone holds them."""
    held = list(sealing.held)

    def scan(item: ScanIn) -> ScanResult:
        result = sealed.self_scan(
            session,
            keyring=keyring,
            token=item.token,
            person_id=person_id,
            at=item.at,
            sealing=Sealing(sealing.key_of, sealing.secret, tuple(held)),
            dependent_ids=item.dependent_ids,
            client_key=item.client_key,
        )
        if result.outcome == Outcome.CHECKED_IN and not result.duplicate:
            held.extend(
                Held(p.id, sealed.close_token(sealing.secret, p.id)) for p in result.presences
            )
        return result

    return checkin_service.apply_in_order(
        session,
        scans,
        now=now,
        retention_days=retention_days,
        max_age=max_age,
        budget=budget,
        scan=scan,
    )


def door_scan(
    session: Session,
    *,
    keyring: Keyring,
    venue: Venue,
    text: str,
    direction: str,
    now: datetime,
    actor: Principal,
    sealing: Sealing | None = None,
) -> DoorScanResult:
    """A pass scanned at the door; letting in someone under home quarantine records a breach."""
    result = checkin_service.door_scan(
        session,
        keyring=keyring,
        venue=venue,
        text=text,
        direction=direction,
        now=now,
        actor=actor,
        sealed_entry=(
            None
            if sealing is None
            else lambda person_id: sealed.door_entry(
                session, venue=venue, person_id=person_id, at=now, key_of=sealing.key_of
            )
        ),
    )
    if sealing is None and result.outcome == Outcome.CHECKED_IN and result.presence is not None:
        _record_breaches(session, [result.presence])
    return result


def manual_entry(
    session: Session,
    *,
    venue: Venue,
    full_name: str,
    phone: str | None,
    id_number: str | None,
    at: datetime,
    actor: Principal,
    sealing: Sealing | None = None,
) -> Presence:
    """A visitor entered by hand at the door, and the audit entry of the record it makes.

    In the escrow mode the visitor's record keeps only the day it was made, and neither it
    nor the audit entry is written beside the venue.
    """
    if sealing is None:
        presence = checkin_service.manual_entry(
            session, venue=venue, full_name=full_name, phone=phone, id_number=id_number,
            at=at, recorded_by=actor.user_id,
        )  # fmt: skip
        subject: object = presence.manual_visitor_id
        detail: dict[str, str] | None = {"venue_id": str(venue.id)}
    else:
        day_start = localtime.day_bounds(localtime.today(at))[0]
        visitor = checkin_service.manual_visitor(
            session, full_name=full_name, phone=phone, id_number=id_number,
            created_at=day_start,
        )  # fmt: skip
        # no presence names the visitor, so retention (`checkins.purge_old`) goes by this
        # date: the day of the latest entry keeps the record as long as its sealed visits
        visitor.created_at = max(visitor.created_at, day_start)
        presence = sealed.manual_entry(
            session, venue=venue, visitor=visitor, at=at, key_of=sealing.key_of
        )
        subject, detail = "sealed", None
    audit.record(
        session,
        actor=actor,
        action="create",
        subject_type="manual_visitor",
        subject_id=subject,
        purpose="manual_entry",
        detail=detail,
    )
    return presence


def door_count(
    session: Session, *, keyring: Keyring, venue: Venue, text: str, direction: str, now: datetime
) -> DoorScanResult:
    """On-device mode: a pass scanned at the door is checked and, on entry, counted.

    Nobody is looked up and nothing names the visitor: the pass's signature, expiry and
    colour are read from the pass itself, and the venue's anonymous count of the hour grows
    by one. A red pass is refused entry and not counted.
    """
    try:
        claims = passes.verify(keyring, text, now=now)
    except TokenError as exc:
        raise PassRefused(exc.reason, exc.message) from exc
    if direction == "out":
        return DoorScanResult(Outcome.COUNTED_OUT, claims.colour, "", None, 0)
    if claims.colour is Colour.RED:
        return DoorScanResult("refused_entry", claims.colour, "", None, 0)
    ondevice_service.count_visit(session, venue_id=venue.id, at=now, method="door_scan")
    return DoorScanResult(Outcome.COUNTED, claims.colour, "", None, 0)


def day_counts(
    session: Session, *, on_device: bool, day: date, area_paths: Sequence[str | None]
) -> tuple[
    Sequence[VenueCount | ondevice_service.VenueTotal],
    Sequence[WardCount | ondevice_service.WardTotal],
]:
    """Check-ins per venue and ward on a local day; in on-device mode, the anonymous counts."""
    if not on_device:
        return checkin_service.counts(session, day=day, area_paths=area_paths)
    start, end = checkin_service.local_day_bounds(day)
    return ondevice_service.day_counts(session, start=start, end=end, area_paths=area_paths)
