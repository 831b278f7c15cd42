"""Check-ins in the escrow privacy mode: presences that name nobody, closed by the phone.

A sealed presence keeps venue, times and method, and its identity only sealed to the key of
its local day (`epitrace.escrow.crypto`); no person, visitor, device, operator or receipt is
stored beside it. The server cannot find a person's open presence, so the phone keeps the id
and close token of each presence it opened and sends them with its next scan (`Held`): that
closes the previous visit, or checks out. Quarantine breaches and the server-side history of
a citizen do not exist in this mode (docs/privacy.md, "Escrow mode").
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import service as account_service
from epitrace.checkins import policy
from epitrace.checkins.models import CloseReason, ManualVisitor, Presence, PresenceMethod
from epitrace.checkins.service import Outcome, ScanResult, _close, _lock_people
from epitrace.errors import N_, NotFound
from epitrace.escrow.crypto import Identity, seal
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue

# The public key of a local day; raises a DomainError when the day has no key.
KeyOfDay = Callable[[date], bytes]


@dataclass(frozen=True)
class Held:
    """A presence the phone opened, with the close token the server gave it."""

    presence_id: uuid.UUID
    close_token: str


@dataclass(frozen=True)
class Sealing:
    """What a sealed check-in needs: the day keys, the server's secret for close tokens, and
    the presences the phone holds."""

    key_of: KeyOfDay
    secret: bytes
    held: tuple[Held, ...] = ()


def close_token(secret: bytes, presence_id: uuid.UUID) -> str:
    """The token that lets the phone close its presence; derived, so nothing is stored."""
    mac = hmac.new(secret, b"epitrace close|" + presence_id.bytes, hashlib.sha256)
    return mac.hexdigest()[:32]


def tokens(secret: bytes, presences: Sequence[Presence]) -> dict[uuid.UUID, str]:
    return {p.id: close_token(secret, p.id) for p in presences}


def _new(
    session: Session,
    *,
    venue: Venue,
    identity: Identity,
    at: datetime,
    method: PresenceMethod,
    key_of: KeyOfDay,
    client_key: str | None = None,
) -> Presence:
    presence_id = uuid.uuid4()
    day = localtime.today(at)
    presence = Presence(
        id=presence_id,
        venue_id=venue.id,
        ward_code=venue.ward_code,
        entered_at=at,
        method=method,
        client_key=client_key,
        sealed_identity=seal(key_of(day), identity, presence_id=presence_id, day=day),
        key_day=day,
    )
    session.add(presence)
    return presence


def _held(session: Session, *, secret: bytes, held: Sequence[Held]) -> list[tuple[Presence, Venue]]:
    """The presences the phone holds whose token is right (stale or forged ones are ignored)."""
    good = [
        h.presence_id
        for h in held
        if hmac.compare_digest(h.close_token, close_token(secret, h.presence_id))
    ]
    if not good:
        return []
    stmt = (
        select(Presence, Venue)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(Presence.id.in_(good), Presence.sealed_identity.is_not(None))
        .order_by(Presence.entered_at)
    )
    return [(p, v) for p, v in session.execute(stmt)]


def self_scan(
    session: Session,
    *,
    keyring: Keyring,
    token: str,
    person_id: uuid.UUID,
    at: datetime,
    sealing: Sealing,
    dependent_ids: Sequence[uuid.UUID] = (),
    client_key: str | None = None,
) -> ScanResult:
    """A citizen scanned a venue code: check in (sealed), or out of a presence the phone holds.

    The rules of `service.scan` on what the phone holds: a held presence here for more than
    the duplicate window is checked out, a newer one is "already in"; one closed here just now
    is "already out"; check-in closes held presences elsewhere.
    """
    venue = venue_service.resolve_token(session, keyring, token)
    if client_key is not None:
        resent = session.scalars(
            select(Presence).where(Presence.client_key == client_key, Presence.venue_id == venue.id)
        ).first()
        if resent is not None:
            return ScanResult(Outcome.CHECKED_IN, venue, [resent], duplicate=True)
    people = [person_id]
    for dependent_id in dict.fromkeys(dependent_ids):
        account_service.get_dependent(session, guardian_id=person_id, dependent_id=dependent_id)
        people.append(dependent_id)
    # one scan of a phone after the other; the lock stores nothing
    _lock_people(session, people)
    here: list[Presence] = []
    elsewhere: list[Presence] = []
    just_out: list[Presence] = []
    for presence, where in _held(session, secret=sealing.secret, held=sealing.held):
        if presence.left_at is None:
            leave = policy.auto_leave_time(where.category, presence.entered_at)
            if leave <= at:
                _close(presence, at=leave, reason=CloseReason.DWELL_TIMEOUT)
            elif presence.venue_id == venue.id:
                here.append(presence)
            else:
                elsewhere.append(presence)
        if (
            presence.left_at is not None
            and presence.venue_id == venue.id
            and presence.close_reason is not CloseReason.DWELL_TIMEOUT
            and abs(at - presence.left_at) < policy.DUPLICATE_WINDOW
        ):
            just_out.append(presence)
    if here and at - here[0].entered_at >= policy.DUPLICATE_WINDOW:
        for presence in here:
            _close(presence, at=at, reason=CloseReason.CHECKOUT)
        session.flush()
        return ScanResult(Outcome.CHECKED_OUT, venue, here)
    if here:
        return ScanResult(Outcome.ALREADY_IN, venue, here)
    if just_out:
        return ScanResult(Outcome.ALREADY_OUT, venue, just_out)
    for presence in elsewhere:
        _close(presence, at=at, reason=CloseReason.NEXT_CHECKIN)
    created = [
        _new(
            session,
            venue=venue,
            identity=Identity(person_id=pid),
            at=at,
            method=PresenceMethod.SELF_SCAN,
            key_of=sealing.key_of,
            client_key=client_key if pid == person_id else None,
        )
        for pid in people
    ]
    session.flush()
    return ScanResult(Outcome.CHECKED_IN, venue, created)


def check_out(
    session: Session, *, presence_id: uuid.UUID, token: str, secret: bytes, at: datetime
) -> list[Presence]:
    """The check-out button: closes the presence the phone holds (its token proves it)."""
    found = _held(session, secret=secret, held=[Held(presence_id, token)])
    if not found:
        raise NotFound(N_("This visit does not exist."))
    presence, venue = found[0]
    if presence.left_at is None:
        leave = policy.auto_leave_time(venue.category, presence.entered_at)
        if leave <= at:
            _close(presence, at=leave, reason=CloseReason.DWELL_TIMEOUT)
        else:
            _close(presence, at=at, reason=CloseReason.CHECKOUT)
        session.flush()
    return [presence]


def door_entry(
    session: Session, *, venue: Venue, person_id: uuid.UUID, at: datetime, key_of: KeyOfDay
) -> Presence:
    """A pass scanned at the door as an entry: a sealed presence (the operator not named)."""
    presence = _new(
        session,
        venue=venue,
        identity=Identity(person_id=person_id),
        at=at,
        method=PresenceMethod.DOOR_SCAN,
        key_of=key_of,
    )
    session.flush()
    return presence


def manual_entry(
    session: Session, *, venue: Venue, visitor: ManualVisitor, at: datetime, key_of: KeyOfDay
) -> Presence:
    """A visitor entered by hand: the visitor record stays, the presence names it sealed."""
    presence = _new(
        session,
        venue=venue,
        identity=Identity(manual_visitor_id=visitor.id),
        at=at,
        method=PresenceMethod.MANUAL,
        key_of=key_of,
    )
    session.flush()
    return presence
