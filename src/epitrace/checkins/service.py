"""Presences: self-scan check-in and check-out, door scans, manual entries, offline batches.

Rules (see `policy`): a person has at most one open presence; checking in elsewhere closes
it, scanning the same venue again (after a minute) checks out, and an open presence ends
after its venue category's dwell time. A second scan of the same venue within a minute is
the same visit. Offline scans carry a client key; a resent scan returns its first outcome.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.checkins import policy
from epitrace.checkins.identity import normalise_cccd
from epitrace.checkins.models import (
    CloseReason,
    ManualVisitor,
    Presence,
    PresenceMethod,
    ScanReceipt,
)
from epitrace.db import affected, path_within, utcnow
from epitrace.declarations import passes
from epitrace.declarations.passes import Colour
from epitrace.errors import N_, Conflict, DomainError, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security import audit
from epitrace.security.keys import Keyring
from epitrace.security.permissions import Principal
from epitrace.security.tokens import TokenError
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueStatus


class Outcome:
    CHECKED_IN = "checked_in"
    ALREADY_IN = "already_checked_in"
    CHECKED_OUT = "checked_out"
    ALREADY_OUT = "already_checked_out"
    # on-device mode: a valid pass at the door is counted, without a name or a presence
    COUNTED = "counted"
    COUNTED_OUT = "counted_out"


@dataclass(frozen=True)
class PersonFlag:
    """A yes/no question about each person of a scan, asked of the database with the lock on
    the people (no round trip of its own).

    `build` gives the question as an expression over the person's id column, with one bound
    parameter named `FLAG_VALUE` whose value is `value`. `build` is a function defined once
    (not a lambda made per scan): the locking statement is built once for it.
    """

    build: Callable[[SQLColumnExpression[uuid.UUID]], ColumnElement[bool]]
    value: Any


FLAG_VALUE = "flag_value"


@dataclass
class ScanResult:
    outcome: str
    venue: Venue
    presences: list[Presence]
    duplicate: bool = False  # the same client key was seen before
    # the people of the scan for whom the caller's `flag` held; None when nobody was asked
    flagged: frozenset[uuid.UUID] | None = None


@dataclass
class BatchItemResult:
    client_key: str
    status: str  # "accepted" | "duplicate" | "refused"
    outcome: str | None = None
    reason: str | None = None
    message: str | None = None
    venue_id: uuid.UUID | None = None
    presence_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class ScanIn:
    client_key: str
    token: str
    at: datetime
    dependent_ids: tuple[uuid.UUID, ...] = ()


# -- closing -----------------------------------------------------------------------------


def _close(presence: Presence, *, at: datetime, reason: CloseReason) -> None:
    presence.left_at = max(at, presence.entered_at)
    presence.close_reason = reason


def _open_presences(
    session: Session,
    *,
    person_ids: Sequence[uuid.UUID] | None = None,
    venue_id: uuid.UUID | None = None,
) -> list[tuple[Presence, Venue]]:
    stmt = (
        select(Presence, Venue)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(Presence.left_at.is_(None))
    )
    if person_ids is not None:
        stmt = stmt.where(Presence.person_id.in_(person_ids))
    if venue_id is not None:
        stmt = stmt.where(Presence.venue_id == venue_id)
    return [(p, v) for p, v in session.execute(stmt.order_by(Presence.entered_at))]


def close_expired(
    session: Session,
    *,
    now: datetime,
    person_ids: Sequence[uuid.UUID] | None = None,
    venue_id: uuid.UUID | None = None,
) -> int:
    """End open presences whose dwell time has passed; they leave at entry + dwell."""
    closed = 0
    for presence, venue in _open_presences(session, person_ids=person_ids, venue_id=venue_id):
        leave = policy.auto_leave_time(venue.category, presence.entered_at)
        if leave <= now:
            _close(presence, at=leave, reason=CloseReason.DWELL_TIMEOUT)
            closed += 1
    if closed:
        session.flush()
    return closed


def close_all_expired(session: Session, *, now: datetime | None = None, batch: int = 5000) -> int:
    """The scheduled sweep over every venue (also run lazily per person and venue)."""
    now = now or utcnow()
    earliest = now - timedelta(minutes=min(policy.DWELL_MINUTES.values()))
    stmt = (
        select(Presence, Venue)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(Presence.left_at.is_(None), Presence.entered_at <= earliest)
        .limit(batch)
    )
    closed = 0
    for presence, venue in session.execute(stmt):
        leave = policy.auto_leave_time(venue.category, presence.entered_at)
        if leave <= now:
            _close(presence, at=leave, reason=CloseReason.DWELL_TIMEOUT)
            closed += 1
    session.flush()
    return closed


# -- self-scan ---------------------------------------------------------------------------


def _dependents(
    session: Session, *, guardian_id: uuid.UUID, dependent_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for dependent_id in dict.fromkeys(dependent_ids):
        account_service.get_dependent(session, guardian_id=guardian_id, dependent_id=dependent_id)
        ids.append(dependent_id)
    return ids


@functools.cache
def _current_presences_statement() -> Select[Presence, Venue]:
    # built once: a check-in's own statements cost more to build in Python than to run
    open_ids = select(Presence.id).where(
        Presence.person_id.in_(bindparam("people", expanding=True)), Presence.left_at.is_(None)
    )
    last_here = (
        select(Presence.id)
        .where(
            Presence.person_id == bindparam("person_id"),
            Presence.venue_id == bindparam("venue_id"),
            Presence.left_at.is_not(None),
        )
        .order_by(Presence.left_at.desc())
        .limit(1)
        .subquery()
    )
    return (
        select(Presence, Venue)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(Presence.id.in_(union_all(open_ids, select(last_here.c.id))))
        .order_by(Presence.entered_at)
    )


def _current_presences(
    session: Session, *, people: Sequence[uuid.UUID], person_id: uuid.UUID, venue_id: uuid.UUID
) -> tuple[list[tuple[Presence, Venue]], Presence | None]:
    """The open presences of `people` (oldest first, with their venues) and the person's last
    closed presence at the venue, in one query (two branches, each planned on its own)."""
    current: list[tuple[Presence, Venue]] = []
    last: Presence | None = None
    rows = session.execute(
        _current_presences_statement(),
        {"people": list(people), "person_id": person_id, "venue_id": venue_id},
    )
    for presence, venue in rows:
        if presence.left_at is None:
            current.append((presence, venue))
        else:
            last = presence
    return current, last


def _enter(
    session: Session,
    *,
    venue: Venue,
    person_id: uuid.UUID,
    at: datetime,
    method: PresenceMethod,
    recorded_by: uuid.UUID | None,
    device_id: str | None,
    open_here: dict[uuid.UUID, Presence],
    open_elsewhere: dict[uuid.UUID, Presence],
) -> Presence:
    here = open_here.get(person_id)
    if here is not None:
        return here
    elsewhere = open_elsewhere.get(person_id)
    if elsewhere is not None:
        _close(elsewhere, at=at, reason=CloseReason.NEXT_CHECKIN)
    presence = Presence(
        venue_id=venue.id,
        ward_code=venue.ward_code,
        person_id=person_id,
        entered_at=at,
        method=method,
        recorded_by=recorded_by,
        device_id=device_id,
    )
    session.add(presence)
    return presence


@functools.cache
def _lock_statement(
    flag: Callable[[Any], ColumnElement[bool]] | None,
) -> Select[*tuple[Any, ...]]:
    people = Person.id.in_(bindparam("people", expanding=True))
    if flag is None:
        return select(Person.id).where(people).with_for_update()
    return select(Person.id, flag(Person.id)).where(people).with_for_update(of=Person)


def _lock_people(
    session: Session, people: Sequence[uuid.UUID], flag: PersonFlag | None = None
) -> frozenset[uuid.UUID] | None:
    """Apply simultaneous scans of one person (two devices, a double tap) one after the other.

    PostgreSQL locks the person rows; SQLite has no row locks, so a no-op update takes the
    database's write lock before the open presences are read. On PostgreSQL the same
    statement answers a `flag` for each person: the people for whom it holds. SQLite does
    not (None: its RETURNING names columns unqualified, which a correlated subquery would
    read as its own), and the caller asks in its own way.
    """
    if session.get_bind().dialect.name == "postgresql":
        if flag is None:
            session.execute(_lock_statement(None), {"people": list(people)})
            return None
        rows = session.execute(
            _lock_statement(flag.build), {"people": list(people), FLAG_VALUE: flag.value}
        )
        return frozenset(person for person, holds in rows if holds)
    session.execute(update(Person).where(Person.id.in_(people)).values(pseudonym=Person.pseudonym))
    return None


def scan(
    session: Session,
    *,
    venue: Venue,
    person_id: uuid.UUID,
    at: datetime,
    dependent_ids: Sequence[uuid.UUID] = (),
    method: PresenceMethod = PresenceMethod.SELF_SCAN,
    direction: str = "auto",
    recorded_by: uuid.UUID | None = None,
    device_id: str | None = None,
    flag: PersonFlag | None = None,
    replay: Callable[[], ScanResult | None] | None = None,
) -> ScanResult:
    """Apply one scan of `venue` by a person (with dependents) at time `at`.

    `direction` "auto" (self-scan) toggles: in, or out when already inside for more than the
    duplicate window; "in" and "out" are the door operator's explicit choices. `flag` is
    asked of each person with the lock (`ScanResult.flagged`). `replay` is asked right after
    the lock: a scan applied before (a resend) is answered by what it returns.
    """
    people = [person_id, *_dependents(session, guardian_id=person_id, dependent_ids=dependent_ids)]
    if method is not PresenceMethod.SELF_SCAN:
        people = [person_id]
    flagged = _lock_people(session, people, flag)
    if replay is not None and (answered := replay()) is not None:
        return answered
    open_here: dict[uuid.UUID, Presence] = {}
    open_elsewhere: dict[uuid.UUID, Presence] = {}
    current, last = _current_presences(
        session, people=people, person_id=person_id, venue_id=venue.id
    )
    for presence, where in current:
        assert presence.person_id is not None  # noqa: S101 - the query filters on person
        leave = policy.auto_leave_time(where.category, presence.entered_at)
        if leave <= at:  # forgotten: it ended when the dwell time passed
            _close(presence, at=leave, reason=CloseReason.DWELL_TIMEOUT)
            if (
                presence.person_id == person_id
                and presence.venue_id == venue.id
                and (last is None or last.left_at is None or leave >= last.left_at)
            ):
                last = presence  # closed just now: the last closed presence here
        elif presence.venue_id == venue.id:
            open_here[presence.person_id] = presence
        else:
            open_elsewhere[presence.person_id] = presence
    mine = open_here.get(person_id)

    if direction == "out" or (
        direction == "auto" and mine is not None and at - mine.entered_at >= policy.DUPLICATE_WINDOW
    ):
        if mine is None:
            raise Conflict(N_("This person is not checked in here."), code="not_checked_in")
        reason = (
            CloseReason.DOOR_EXIT if method is PresenceMethod.DOOR_SCAN else CloseReason.CHECKOUT
        )
        # the scanner's own presence first: the receipt of a check-out points at it
        closed = [mine, *(p for p in open_here.values() if p is not mine)]
        for presence in closed:
            _close(presence, at=at, reason=reason)
        session.flush()
        return ScanResult(Outcome.CHECKED_OUT, venue, closed, flagged=flagged)

    if mine is not None:
        return ScanResult(Outcome.ALREADY_IN, venue, [mine], flagged=flagged)

    if (
        direction == "auto"
        and last is not None
        and last.left_at is not None
        and last.close_reason is not CloseReason.DWELL_TIMEOUT
        and abs(at - last.left_at) < policy.DUPLICATE_WINDOW
    ):
        return ScanResult(Outcome.ALREADY_OUT, venue, [last], flagged=flagged)

    created = [
        _enter(
            session,
            venue=venue,
            person_id=pid,
            at=at,
            method=method,
            recorded_by=recorded_by,
            device_id=device_id,
            open_here=open_here,
            open_elsewhere=open_elsewhere,
        )
        for pid in people
    ]
    session.flush()
    return ScanResult(Outcome.CHECKED_IN, venue, created, flagged=flagged)


@functools.cache
def _receipt_statement() -> Select[ScanReceipt]:
    return select(ScanReceipt).where(
        ScanReceipt.person_id == bindparam("person_id"),
        ScanReceipt.client_key == bindparam("client_key"),
    )


def _receipt(session: Session, *, person_id: uuid.UUID, client_key: str) -> ScanReceipt | None:
    params = {"person_id": person_id, "client_key": client_key}
    return session.scalars(_receipt_statement(), params).first()


def _replay(session: Session, receipt: ScanReceipt) -> ScanResult:
    venue = venue_service.get_or_404(session, venue_id=receipt.venue_id)
    presence = session.get(Presence, receipt.presence_id) if receipt.presence_id else None
    return ScanResult(receipt.outcome, venue, [presence] if presence else [], duplicate=True)


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
    flag: PersonFlag | None = None,
) -> ScanResult:
    """A citizen scanned a venue code: check in, or out, idempotently per client key.

    The receipt of an earlier scan with the same key is looked for after the lock on the
    person, which every writer of the person's receipts holds until its commit: a resend
    that arrives while the first sending is still being applied waits for it and is then
    answered by its receipt, so the new receipt cannot conflict and no savepoint is needed.
    A scan sent before is answered as it was even when its code or a dependent it names no
    longer holds (code rotated, venue suspended, dependent removed).
    """

    def sent_before() -> ScanResult | None:
        seen = _receipt(session, person_id=person_id, client_key=client_key) if client_key else None
        return None if seen is None else _replay(session, seen)

    try:
        venue = venue_service.resolve_token(session, keyring, token)
        result = scan(
            session,
            venue=venue,
            person_id=person_id,
            at=at,
            dependent_ids=dependent_ids,
            device_id=device_id,
            flag=flag,
            replay=sent_before if client_key is not None else None,
        )
    except DomainError:
        # refused before anything changed (the code, the dependents named): a scan applied
        # before is still answered as it was
        answered = sent_before()
        if answered is None:
            raise
        return answered
    if client_key is not None and not result.duplicate:
        session.add(
            ScanReceipt(
                person_id=person_id,
                client_key=client_key,
                venue_id=venue.id,
                scanned_at=at,
                outcome=result.outcome,
                presence_id=result.presences[0].id if result.presences else None,
            )
        )
        session.flush()
    return result


def count_unseen(session: Session, *, person_id: uuid.UUID, client_keys: Sequence[str]) -> int:
    """How many of these client keys the person's device has not sent before."""
    if not client_keys:
        return 0
    seen = session.scalar(
        select(func.count())
        .select_from(ScanReceipt)
        .where(ScanReceipt.person_id == person_id, ScanReceipt.client_key.in_(set(client_keys)))
    )
    return len(set(client_keys)) - int(seen or 0)


TIME_REFUSALS = {
    "future": N_("The scan is dated in the future; check the phone's clock."),
    "too_old": N_("The scan is older than %(days)s days and is no longer kept."),
    "too_late": N_("The scan is more than %(hours)s hours old; offline scans must be sent sooner."),
}
DAILY_LIMIT_MESSAGE = N_(
    "Today's limit of %(limit)s offline scans is reached; the phone keeps this scan and "
    "sends it tomorrow."
)


def check_client_keys(scans: Sequence[ScanIn]) -> list[str]:
    """The batch's client keys, refused whole when two scans share one."""
    keys = [s.client_key for s in scans]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            N_("Each scan in a batch needs its own client key."), code="duplicate_client_key"
        )
    return keys


def refused_before_reading(
    item: ScanIn,
    *,
    now: datetime,
    retention_days: int,
    max_age: timedelta | None,
    budget: int | None,
    accepted: int,
) -> BatchItemResult | None:
    """A new scan refused for its time or the day's budget, before anything is read for it
    (both batch paths: one by one and in bulk)."""
    problem = policy.scan_time_problem(
        item.at, now=now, retention_days=retention_days, max_age=max_age
    )
    if problem is not None:
        return BatchItemResult(
            item.client_key, "refused", reason=problem, message=TIME_REFUSALS[problem]
        )
    if budget is not None and accepted >= budget:
        return BatchItemResult(
            item.client_key, "refused", reason="daily_limit", message=DAILY_LIMIT_MESSAGE
        )
    return None


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
) -> list[BatchItemResult]:
    """Apply scans made offline, oldest first; each is accepted or refused on its own.

    A scan sent before is answered as it was, whatever its age or the budget. At most
    `budget` new scans are accepted (oldest first); the others are refused with the reason
    'daily_limit' and stored nowhere, so the phone sends them again later.
    """

    def replay(item: ScanIn) -> BatchItemResult | None:
        seen = _receipt(session, person_id=person_id, client_key=item.client_key)
        if seen is None:
            return None
        replay = _replay(session, seen)
        return BatchItemResult(
            item.client_key,
            "duplicate",
            outcome=replay.outcome,
            venue_id=replay.venue.id,
            presence_ids=[p.id for p in replay.presences],
        )

    return apply_in_order(
        session,
        scans,
        now=now,
        retention_days=retention_days,
        max_age=max_age,
        budget=budget,
        replay=replay,
        scan=lambda item: self_scan(
            session,
            keyring=keyring,
            token=item.token,
            person_id=person_id,
            at=item.at,
            dependent_ids=item.dependent_ids,
            device_id=device_id,
            client_key=item.client_key,
        ),
    )


def apply_in_order(
    session: Session,
    scans: Sequence[ScanIn],
    *,
    now: datetime,
    retention_days: int,
    max_age: timedelta | None,
    budget: int | None,
    scan: Callable[[ScanIn], ScanResult],
    replay: Callable[[ScanIn], BatchItemResult | None] = lambda item: None,
) -> list[BatchItemResult]:
    """The one-by-one path of a batch: oldest scan first, a scan sent before answered as it
    was (`replay`), the others checked (`refused_before_reading`) and applied by `scan` in a
    savepoint of their own, so that a refusal leaves nothing behind."""
    keys = check_client_keys(scans)
    results: dict[str, BatchItemResult] = {}
    accepted = 0
    for item in sorted(scans, key=lambda s: s.at):
        answered = replay(item)
        if answered is not None:
            results[item.client_key] = answered
            continue
        refused = refused_before_reading(
            item,
            now=now,
            retention_days=retention_days,
            max_age=max_age,
            budget=budget,
            accepted=accepted,
        )
        if refused is not None:
            results[item.client_key] = refused
            continue
        savepoint = session.begin_nested()
        try:
            result = scan(item)
            savepoint.commit()
        except DomainError as exc:
            savepoint.rollback()
            results[item.client_key] = BatchItemResult(
                item.client_key,
                "refused",
                reason=getattr(exc, "reason", exc.code),
                message=exc.message,
            )
            continue
        if not result.duplicate:
            accepted += 1
        results[item.client_key] = BatchItemResult(
            item.client_key,
            "duplicate" if result.duplicate else "accepted",
            outcome=result.outcome,
            venue_id=result.venue.id,
            presence_ids=[p.id for p in result.presences],
        )
    return [results[k] for k in keys]


class _BatchState:
    """What the scans of one batch read and change, loaded once and kept in memory.

    Open presences of everyone in the batch, and the person's last closed presence at each
    venue the batch names: the same rows `scan` reads for every scan, so that applying the
    scans here in time order gives what applying them one by one gives.
    """

    def __init__(
        self,
        session: Session,
        *,
        person_id: uuid.UUID,
        people: Sequence[uuid.UUID],
        venue_ids: Sequence[uuid.UUID],
    ) -> None:
        self.person_id = person_id
        self.open: dict[uuid.UUID, list[tuple[Presence, Venue]]] = {p: [] for p in people}
        for presence, venue in _open_presences(session, person_ids=list(people)):
            assert presence.person_id is not None  # noqa: S101 - the query filters on person
            self.open[presence.person_id].append((presence, venue))
        self.last_closed: dict[uuid.UUID, Presence] = {}
        if venue_ids:
            ranked = (
                select(
                    Presence.id,
                    func.row_number()
                    .over(partition_by=Presence.venue_id, order_by=Presence.left_at.desc())
                    .label("rank"),
                )
                .where(
                    Presence.person_id == person_id,
                    Presence.venue_id.in_(set(venue_ids)),
                    Presence.left_at.is_not(None),
                )
                .subquery()
            )
            for presence in session.scalars(
                select(Presence).join(ranked, ranked.c.id == Presence.id).where(ranked.c.rank == 1)
            ):
                self.last_closed[presence.venue_id] = presence

    def close(self, presence: Presence, *, at: datetime, reason: CloseReason) -> None:
        _close(presence, at=at, reason=reason)
        assert presence.person_id is not None  # noqa: S101 - batches hold people only
        self.open[presence.person_id] = [
            (p, v) for p, v in self.open[presence.person_id] if p is not presence
        ]
        if presence.person_id != self.person_id:
            return  # `scan` asks for the last closed presence of the person, not of dependents
        last = self.last_closed.get(presence.venue_id)
        assert presence.left_at is not None  # noqa: S101 - just closed
        if last is None or (last.left_at is not None and presence.left_at >= last.left_at):
            self.last_closed[presence.venue_id] = presence


def _scan_in_memory(
    session: Session,
    state: _BatchState,
    *,
    venue: Venue,
    person_id: uuid.UUID,
    people: Sequence[uuid.UUID],
    at: datetime,
    device_id: str | None,
) -> ScanResult:
    """`scan` of a self-scan ("auto"), on the batch's state instead of fresh queries."""
    open_here: dict[uuid.UUID, Presence] = {}
    open_elsewhere: dict[uuid.UUID, Presence] = {}
    current = sorted(
        (item for pid in people for item in state.open[pid]), key=lambda pv: pv[0].entered_at
    )
    for presence, where in current:
        assert presence.person_id is not None  # noqa: S101 - batches hold people only
        leave = policy.auto_leave_time(where.category, presence.entered_at)
        if leave <= at:
            state.close(presence, at=leave, reason=CloseReason.DWELL_TIMEOUT)
        elif presence.venue_id == venue.id:
            open_here[presence.person_id] = presence
        else:
            open_elsewhere[presence.person_id] = presence
    mine = open_here.get(person_id)
    if mine is not None and at - mine.entered_at >= policy.DUPLICATE_WINDOW:
        closed = [mine, *(p for p in open_here.values() if p is not mine)]
        for presence in closed:
            state.close(presence, at=at, reason=CloseReason.CHECKOUT)
        return ScanResult(Outcome.CHECKED_OUT, venue, closed)
    if mine is not None:
        return ScanResult(Outcome.ALREADY_IN, venue, [mine])
    last = state.last_closed.get(venue.id)
    if (
        last is not None
        and last.left_at is not None
        and last.close_reason is not CloseReason.DWELL_TIMEOUT
        and abs(at - last.left_at) < policy.DUPLICATE_WINDOW
    ):
        return ScanResult(Outcome.ALREADY_OUT, venue, [last])
    created = []
    for pid in people:
        here = open_here.get(pid)
        if here is not None:
            created.append(here)
            continue
        elsewhere = open_elsewhere.get(pid)
        if elsewhere is not None:
            state.close(elsewhere, at=at, reason=CloseReason.NEXT_CHECKIN)
        presence = Presence(
            id=uuid.uuid4(),
            venue_id=venue.id,
            ward_code=venue.ward_code,
            person_id=pid,
            entered_at=at,
            method=PresenceMethod.SELF_SCAN,
            recorded_by=None,
            device_id=device_id,
        )
        session.add(presence)
        state.open[pid].append((presence, venue))
        created.append(presence)
    return ScanResult(Outcome.CHECKED_IN, venue, created)


def ingest_batch(
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
) -> list[BatchItemResult]:
    """`sync_batch` in bulk: the same results, with a few statements for the whole batch.

    The people are locked once, receipts, venues, dependents, open presences and last closed
    presences read once; the scans are applied in memory in time order with `scan`'s rules,
    and the new presences, closes and receipts written in one flush (one INSERT per table). If
    that flush conflicts (a client key stored meanwhile), the batch is applied one by one.
    """
    keys = check_client_keys(scans)
    if not scans:
        return []
    mentioned = list(dict.fromkeys(d for s in scans for d in s.dependent_ids))
    dependents: dict[uuid.UUID, DomainError | None] = {}
    for dependent_id in mentioned:
        try:
            account_service.get_dependent(session, guardian_id=person_id, dependent_id=dependent_id)
            dependents[dependent_id] = None
        except DomainError as exc:
            dependents[dependent_id] = exc
    people = [person_id, *(d for d, problem in dependents.items() if problem is None)]
    _lock_people(session, people)  # the family only: never someone else's rows
    seen = {
        r.client_key: r
        for r in session.scalars(
            select(ScanReceipt).where(
                ScanReceipt.person_id == person_id, ScanReceipt.client_key.in_(keys)
            )
        )
    }
    venues: dict[str, Venue | DomainError] = {}
    for token in dict.fromkeys(s.token for s in scans if s.client_key not in seen):
        try:
            venues[token] = venue_service.resolve_token(session, keyring, token)
        except DomainError as exc:
            venues[token] = exc
    savepoint = session.begin_nested()
    state = _BatchState(
        session,
        person_id=person_id,
        people=people,
        venue_ids=[v.id for v in venues.values() if isinstance(v, Venue)],
    )
    results: dict[str, BatchItemResult] = {}
    accepted = 0
    for item in sorted(scans, key=lambda s: s.at):
        receipt = seen.get(item.client_key)
        if receipt is not None:
            results[item.client_key] = BatchItemResult(
                item.client_key,
                "duplicate",
                outcome=receipt.outcome,
                venue_id=receipt.venue_id,
                presence_ids=[receipt.presence_id] if receipt.presence_id else [],
            )
            continue
        refused = refused_before_reading(
            item,
            now=now,
            retention_days=retention_days,
            max_age=max_age,
            budget=budget,
            accepted=accepted,
        )
        if refused is not None:
            results[item.client_key] = refused
            continue
        venue = venues[item.token]
        refusal = (
            venue
            if isinstance(venue, DomainError)
            else next((e for d in dict.fromkeys(item.dependent_ids) if (e := dependents[d])), None)
        )
        if refusal is not None or not isinstance(venue, Venue):
            assert refusal is not None  # noqa: S101 - a venue or its refusal
            results[item.client_key] = BatchItemResult(
                item.client_key,
                "refused",
                reason=getattr(refusal, "reason", refusal.code),
                message=refusal.message,
            )
            continue
        result = _scan_in_memory(
            session,
            state,
            venue=venue,
            person_id=person_id,
            people=[person_id, *dict.fromkeys(item.dependent_ids)],
            at=item.at,
            device_id=device_id,
        )
        session.add(
            ScanReceipt(
                person_id=person_id,
                client_key=item.client_key,
                venue_id=venue.id,
                scanned_at=item.at,
                outcome=result.outcome,
                presence_id=result.presences[0].id if result.presences else None,
            )
        )
        accepted += 1
        results[item.client_key] = BatchItemResult(
            item.client_key,
            "accepted",
            outcome=result.outcome,
            venue_id=venue.id,
            presence_ids=[p.id for p in result.presences],
        )
    try:
        session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return sync_batch(
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
    return [results[k] for k in keys]


def check_out(
    session: Session, *, person_id: uuid.UUID, presence_id: uuid.UUID, at: datetime
) -> list[Presence]:
    """The citizen's check-out button: closes the presence and their dependents' there."""
    presence = session.get(Presence, presence_id)
    if presence is None or presence.person_id is None:
        raise NotFound(N_("This visit does not exist."))
    if presence.person_id != person_id and not account_service.may_act_for(
        session, account_person_id=person_id, person_id=presence.person_id
    ):
        raise NotFound(N_("This visit does not exist."))
    dependents = [d.id for d in account_service.get_dependents(session, guardian_id=person_id)]
    people = [presence.person_id] + (dependents if presence.person_id == person_id else [])
    close_expired(session, now=at, person_ids=people)
    if presence.left_at is not None:
        return [presence]
    closed = [presence]
    for other, _venue in _open_presences(session, person_ids=people, venue_id=presence.venue_id):
        if other.id != presence.id:
            closed.append(other)
    for item in closed:
        _close(item, at=at, reason=CloseReason.CHECKOUT)
    session.flush()
    return closed


def history(
    session: Session, *, person_id: uuid.UUID, since: datetime, limit: int = 200
) -> list[tuple[Presence, Venue, str]]:
    """The person's and their dependents' visits since `since`, newest first, with names."""
    dependents = account_service.get_dependents(session, guardian_id=person_id)
    names = {d.id: d.full_name for d in dependents}
    people = [person_id, *names]
    close_expired(session, now=utcnow(), person_ids=people)
    stmt = (
        select(Presence, Venue)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(Presence.person_id.in_(people), Presence.entered_at >= since)
        .order_by(Presence.entered_at.desc())
        .limit(limit)
    )
    return [
        (p, v, names.get(p.person_id, "") if p.person_id else "") for p, v in session.execute(stmt)
    ]


# -- the door ----------------------------------------------------------------------------


def visitor_name(session: Session, presence: Presence) -> str:
    if presence.manual_visitor_id is not None:
        visitor = session.get(ManualVisitor, presence.manual_visitor_id)
        return visitor.full_name if visitor else ""
    if presence.person_id is not None:
        return person_name(session, session.get(Person, presence.person_id))
    return ""


def person_name(session: Session, person: Person | None) -> str:
    if person is None:
        return ""
    if person.full_name:
        return person.full_name
    if person.phone:
        return phone_numbers.mask(person.phone)
    return ""


def manual_visitor(
    session: Session,
    *,
    full_name: str,
    phone: str | None,
    id_number: str | None,
    created_at: datetime | None = None,
) -> ManualVisitor:
    """The record of a visitor without a smartphone (found by ID number, or phone and name);
    phone or ID number is needed to reach them. `created_at` for a new record (default now)."""
    errors: dict[str, str] = {}
    name = " ".join(full_name.split())
    if not name:
        errors["full_name"] = N_("Required.")
    canonical_phone: str | None = None
    cccd: str | None = None
    try:
        canonical_phone = phone_numbers.normalise(phone) if phone and phone.strip() else None
    except InvalidInput as exc:
        errors.update(exc.fields)
    try:
        cccd = normalise_cccd(id_number) if id_number and id_number.strip() else None
    except InvalidInput as exc:
        errors.update(exc.fields)
    if not errors and canonical_phone is None and cccd is None:
        errors["phone"] = N_("Give a phone number or an ID number so the visitor can be reached.")
    if errors:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    visitor = None
    if cccd is not None:
        visitor = session.scalars(
            select(ManualVisitor).where(ManualVisitor.id_number == cccd).limit(1)
        ).first()
    elif canonical_phone is not None:
        visitor = session.scalars(
            select(ManualVisitor)
            .where(ManualVisitor.phone == canonical_phone, ManualVisitor.full_name == name)
            .limit(1)
        ).first()
    if visitor is None:
        visitor = ManualVisitor(full_name=name, phone=canonical_phone, id_number=cccd)
        if created_at is not None:
            visitor.created_at = created_at
        session.add(visitor)
        session.flush()
    else:
        visitor.full_name = name
        visitor.phone = canonical_phone or visitor.phone
    return visitor


def manual_entry(
    session: Session,
    *,
    venue: Venue,
    full_name: str,
    phone: str | None,
    id_number: str | None,
    at: datetime,
    recorded_by: uuid.UUID,
) -> Presence:
    """Enter a visitor without a smartphone; phone or ID number is needed to reach them."""
    visitor = manual_visitor(session, full_name=full_name, phone=phone, id_number=id_number)
    open_here = session.scalars(
        select(Presence).where(
            Presence.manual_visitor_id == visitor.id,
            Presence.venue_id == venue.id,
            Presence.left_at.is_(None),
        )
    ).first()
    if open_here is not None:
        return open_here
    presence = Presence(
        venue_id=venue.id,
        ward_code=venue.ward_code,
        manual_visitor_id=visitor.id,
        entered_at=at,
        method=PresenceMethod.MANUAL,
        recorded_by=recorded_by,
    )
    session.add(presence)
    session.flush()
    return presence


def door_exit(session: Session, *, venue: Venue, presence_id: uuid.UUID, at: datetime) -> Presence:
    """The operator records that a visitor inside left."""
    presence = session.get(Presence, presence_id)
    if presence is None or presence.venue_id != venue.id:
        raise NotFound(N_("This visit does not exist."))
    if presence.left_at is None:
        _close(presence, at=at, reason=CloseReason.DOOR_EXIT)
        session.flush()
    return presence


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    return localtime.day_bounds(day)


def local_today(now: datetime | None = None) -> date:
    return localtime.today(now)


@dataclass
class DoorLogRow:
    presence: Presence
    name: str


@dataclass
class DoorLog:
    venue: Venue
    day: date
    rows: list[DoorLogRow]
    entries: int
    exits: int
    occupancy: int


def door_log(session: Session, *, venue: Venue, day: date, now: datetime) -> DoorLog:
    """The venue's entries and exits on a local day, and who is inside now."""
    close_expired(session, now=now, venue_id=venue.id)
    start, end = local_day_bounds(day)
    stmt = (
        select(Presence)
        .where(
            Presence.venue_id == venue.id,
            # bounds of entry for both branches: only these days' partitions are read
            Presence.entered_at >= start - policy.LONGEST_STAY,
            Presence.entered_at < end,
            or_(
                Presence.entered_at >= start,
                (Presence.left_at >= start) & (Presence.left_at < end),
            ),
        )
        .order_by(Presence.entered_at.desc())
        .limit(2000)
    )
    presences = list(session.scalars(stmt))
    person_ids = {p.person_id for p in presences if p.person_id}
    visitor_ids = {p.manual_visitor_id for p in presences if p.manual_visitor_id}
    people = {
        p.id: person_name(session, p)
        for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))
    }
    visitors = {
        v.id: v.full_name
        for v in session.scalars(select(ManualVisitor).where(ManualVisitor.id.in_(visitor_ids)))
    }
    rows = [
        DoorLogRow(
            p,
            people.get(p.person_id, "")
            if p.person_id
            else visitors.get(p.manual_visitor_id, "")
            if p.manual_visitor_id
            else "",
        )
        for p in presences
    ]
    occupancy = (
        session.scalar(
            select(func.count())
            .select_from(Presence)
            .where(
                Presence.venue_id == venue.id,
                Presence.left_at.is_(None),
                Presence.entered_at >= now - policy.LONGEST_STAY,
                Presence.entered_at <= now + policy.CLOCK_SKEW,
            )
        )
        or 0
    )
    return DoorLog(
        venue=venue,
        day=day,
        rows=rows,
        entries=sum(1 for p in presences if start <= p.entered_at < end),
        exits=sum(1 for p in presences if p.left_at is not None and start <= p.left_at < end),
        occupancy=occupancy,
    )


def occupancy(session: Session, *, venue_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Presence)
            .where(Presence.venue_id == venue_id, Presence.left_at.is_(None))
        )
        or 0
    )


# -- counts for officials ----------------------------------------------------------------


@dataclass
class VenueCount:
    venue_id: uuid.UUID
    venue_name: str
    ward_code: str
    checkins: int


@dataclass
class WardCount:
    ward_code: str
    ward_name: str
    checkins: int
    venues: int


def _paths(column: Any, area_paths: Sequence[str | None]) -> ColumnElement[bool]:
    if any(p is None for p in area_paths):
        return true()
    if not area_paths:
        return false()
    return or_(*(path_within(column, p) for p in area_paths if p is not None))


def counts(
    session: Session, *, day: date, area_paths: Sequence[str | None]
) -> tuple[list[VenueCount], list[WardCount]]:
    """Check-ins per venue and per ward on a local day, inside the areas; no personal data.

    A presence counts in its venue's ward, found through the venue (as every area read of
    presences is: they have no index by ward).
    """
    start, end = local_day_bounds(day)
    in_day = (Presence.entered_at >= start) & (Presence.entered_at < end)
    per_venue = (
        select(Venue.id, Venue.name, Venue.ward_code, func.count(Presence.id))
        .join(Presence, Presence.venue_id == Venue.id)
        .join(AdminUnit, AdminUnit.code == Venue.ward_code)
        .where(in_day, _paths(AdminUnit.path, area_paths))
        .group_by(Venue.id, Venue.name, Venue.ward_code)
        .order_by(func.count(Presence.id).desc(), Venue.name)
    )
    venues = [
        VenueCount(vid, name, ward, int(n)) for vid, name, ward, n in session.execute(per_venue)
    ]
    per_ward = (
        select(
            AdminUnit.code,
            AdminUnit.name,
            func.count(Presence.id),
            func.count(func.distinct(Presence.venue_id)),
        )
        .join(Venue, Venue.ward_code == AdminUnit.code)
        .join(Presence, Presence.venue_id == Venue.id)
        .where(in_day, _paths(AdminUnit.path, area_paths))
        .group_by(AdminUnit.code, AdminUnit.name)
        .order_by(AdminUnit.name)
    )
    wards = [
        WardCount(code, name, int(n), int(v)) for code, name, n, v in session.execute(per_ward)
    ]
    return venues, wards


@dataclass
class DoorScanResult:
    outcome: str  # checked_in | already_checked_in | checked_out | refused_entry
    colour: Colour
    name: str
    presence: Presence | None
    occupancy: int


def door_scan(
    session: Session,
    *,
    keyring: Keyring,
    venue: Venue,
    text: str,
    direction: str,
    now: datetime,
    actor: Principal,
    sealed_entry: Callable[[uuid.UUID], Presence] | None = None,
) -> DoorScanResult:
    """The operator scanned a visitor's personal pass: verify it, show who, record in or out.

    A red pass (confirmed case or quarantine) is shown but its entry is not recorded: the
    person must not be let in. Every successful read of a pass is written to the audit log.
    In the escrow mode (`sealed_entry` makes the sealed presence of an entry) neither the
    presence nor the audit entry names the person beside the venue, and an exit is recorded
    from the door log instead.
    """
    try:
        claims = passes.verify(keyring, text, now=now)
    except TokenError as exc:
        raise PassRefused(exc.reason, exc.message) from exc
    person = account_service.get_by_pseudonym(session, pseudonym=claims.pseudonym)
    if person is None:
        raise PassRefused("unknown_person", N_("This pass belongs to nobody registered here."))
    if sealed_entry is not None:
        return _sealed_door_scan(
            session, venue=venue, person=person, colour=claims.colour, direction=direction,
            actor=actor, sealed_entry=sealed_entry,
        )  # fmt: skip
    audit.record(
        session,
        actor=actor,
        action="read",
        subject_type="person",
        subject_id=person.id,
        purpose="door_scan",
        detail={"venue_id": str(venue.id), "colour": claims.colour.label, "direction": direction},
    )
    name = person_name(session, person)
    if claims.colour is Colour.RED and direction != "out":
        open_here = _open_presences(session, person_ids=[person.id], venue_id=venue.id)
        if not open_here:
            return DoorScanResult(
                "refused_entry", claims.colour, name, None, occupancy(session, venue_id=venue.id)
            )
    result = scan(
        session,
        venue=venue,
        person_id=person.id,
        at=now,
        method=PresenceMethod.DOOR_SCAN,
        direction=direction,
        recorded_by=actor.user_id,
    )
    return DoorScanResult(
        result.outcome,
        claims.colour,
        name,
        result.presences[0] if result.presences else None,
        occupancy(session, venue_id=venue.id),
    )


DOOR_EXIT_BY_PASS = N_(
    "In this privacy mode a pass does not show where its holder is: record the exit from the "
    "door log (the visit's Exit button), or let the phone check out."
)


def _sealed_door_scan(
    session: Session,
    *,
    venue: Venue,
    person: Person,
    colour: Colour,
    direction: str,
    actor: Principal,
    sealed_entry: Callable[[uuid.UUID], Presence],
) -> DoorScanResult:
    audit.record(
        session,
        actor=actor,
        action="read",
        subject_type="pass",
        subject_id="sealed",  # the holder is not written beside the operator's venue
        purpose="door_scan",
        detail={"colour": colour.label},
    )
    name = person_name(session, person)
    if direction == "out":
        raise Conflict(DOOR_EXIT_BY_PASS, code="sealed_exit_by_pass")
    if colour is Colour.RED:
        return DoorScanResult(
            "refused_entry", colour, name, None, occupancy(session, venue_id=venue.id)
        )
    presence = sealed_entry(person.id)
    return DoorScanResult(
        Outcome.CHECKED_IN, colour, name, presence, occupancy(session, venue_id=venue.id)
    )


class PassRefused(InvalidInput):
    code = "invalid_pass"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# -- reads for rollout oversight ----------------------------------------------------------


def present_since(
    session: Session,
    *,
    person_ids: Sequence[uuid.UUID],
    venue_ids: Sequence[uuid.UUID],
    since: datetime,
) -> set[uuid.UUID]:
    """The people among `person_ids` who entered one of the venues at or after `since`."""
    if not venue_ids:
        return set()
    found: set[uuid.UUID] = set()
    unique = sorted(set(person_ids))
    for start in range(0, len(unique), 5000):
        stmt = (
            select(Presence.person_id)
            .where(
                Presence.person_id.in_(unique[start : start + 5000]),
                Presence.venue_id.in_(list(venue_ids)),
                Presence.entered_at >= since,
            )
            .distinct()
        )
        found.update(p for p in session.scalars(stmt) if p is not None)
    return found


def count_entries_since(
    session: Session, *, area_paths: Sequence[str | None], since: datetime
) -> int:
    """Check-ins (every method) at the venues of these areas since a moment.

    Through the venues of the areas: each venue's entries are a range of the (venue, entered)
    index, so presences need no index by ward (the counts above go the same way).
    """
    stmt = (
        select(func.count())
        .select_from(Presence)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(
            Presence.entered_at >= since, place_service.within_areas(Venue.ward_code, area_paths)
        )
    )
    return int(session.scalar(stmt) or 0)


def count_idle_venues(
    session: Session, *, area_paths: Sequence[str | None], since: datetime
) -> int:
    """Open venues of these areas where nobody has checked in since a moment."""
    recent = select(Presence.id).where(Presence.venue_id == Venue.id, Presence.entered_at >= since)
    stmt = select(func.count()).where(
        Venue.status == VenueStatus.ACTIVE,
        place_service.within_areas(Venue.ward_code, area_paths),
        ~recent.exists(),
    )
    return int(session.scalar(stmt) or 0)


# -- erasure on request (mydata) ------------------------------------------------------------


def latest_presence_at(session: Session, *, person_ids: Sequence[uuid.UUID]) -> datetime | None:
    """When the latest check-in of these people began (None: none stored)."""
    if not person_ids:
        return None
    return session.scalar(
        select(func.max(Presence.entered_at)).where(Presence.person_id.in_(person_ids))
    )


def erase_people(session: Session, *, person_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """Delete these people's check-ins and scan receipts.

    Visitors an operator entered by hand keep their own row (the door's record, purged with
    the retention period) but no longer point to the person.
    """
    if not person_ids:
        return {}
    receipts = affected(
        session.execute(delete(ScanReceipt).where(ScanReceipt.person_id.in_(person_ids)))
    )
    presences = affected(
        session.execute(delete(Presence).where(Presence.person_id.in_(person_ids)))
    )
    visitors = affected(
        session.execute(
            update(ManualVisitor)
            .where(ManualVisitor.person_id.in_(person_ids))
            .values(person_id=None)
        )
    )
    return {"presence": presences, "checkin_scan": receipts, "manual_visitor": visitors}
