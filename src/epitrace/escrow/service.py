"""Escrow mode services: publish day keys, request an opening for a trace, approve it with a
key share; the second approval opens the window's identities, traces, and discards them.

The opened identities live only in a temporary table of the approving transaction: the
engine traces from it, the table is dropped before the commit, so no committed row and no
database copy ever holds them. Services flush, never commit.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.cases.models import Case
from epitrace.checkins.models import Presence
from epitrace.db import UTCDateTime, utcnow
from epitrace.errors import N_, Conflict, DomainError, InvalidInput, NotFound
from epitrace.escrow import crypto
from epitrace.escrow.models import EscrowApproval, EscrowDayKey, EscrowOpening, OpeningStatus
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.tracing import policy_store
from epitrace.tracing.engine import trace_case
from epitrace.tracing.models import Trace
from epitrace.tracing.policy import Policy

log = logging.getLogger(__name__)

# An opening not approved by both officials within this time expires and its share is erased.
APPROVAL_HOURS = 24
_CHUNK = 5000
# threads that decrypt an opening's presences (the HPKE decryption releases the GIL)
_WORKERS = max(1, min(8, os.cpu_count() or 1))


class NoDayKey(DomainError):
    status_code = 503
    code = "escrow_no_key"


class ShareRefused(InvalidInput):
    code = "escrow_share_refused"

    def __init__(self, reason: str, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reason = reason


# -- day keys ---------------------------------------------------------------------------------


def public_key(session: Session, day: date) -> bytes:
    """The public key of a local day; without one no check-in can be sealed (none is taken)."""
    key = session.get(EscrowDayKey, day)
    if key is None:
        raise NoDayKey(
            N_(
                "Check-ins are paused: the health department has published no key for "
                "%(day)s. Try again later."
            ),
            params={"day": day.isoformat()},
        )
    return key.public_key


def import_keys(session: Session, *, ceremony: str, keys: Sequence[crypto.DayKey]) -> int:
    """Publish the public keys of a ceremony; a day that has a key keeps it (refused)."""
    days = [k.day for k in keys]
    taken = set(session.scalars(select(EscrowDayKey.day).where(EscrowDayKey.day.in_(days))))
    if taken:
        raise Conflict(
            N_("These days already have a key: %(days)s."),
            params={"days": ", ".join(sorted(d.isoformat() for d in taken))},
            code="escrow_day_taken",
        )
    for k in keys:
        session.add(
            EscrowDayKey(
                day=k.day,
                public_key=k.public_key,
                share_a_digest=k.share_digests["a"],
                share_b_digest=k.share_digests["b"],
                ceremony=ceremony,
            )
        )
    session.flush()
    return len(keys)


def key_days(session: Session, *, since: date) -> list[date]:
    return list(
        session.scalars(
            select(EscrowDayKey.day).where(EscrowDayKey.day >= since).order_by(EscrowDayKey.day)
        )
    )


# -- openings ---------------------------------------------------------------------------------


def opening_days(case: Case, policy: Policy, as_of: datetime) -> tuple[date, date]:
    """The local days a trace of the case reads: from the earliest presence that can overlap
    the infectious window (the policy's longest presence before it) until the trace's moment
    (the F1s' presences after their exposure give the F2)."""
    start, _end = policy.infectious_window(
        onset_at=case.onset_at, sampled_at=case.sampled_at, isolated_at=case.isolated_at,
        as_of=as_of,
    )  # fmt: skip
    first = localtime.today(start - timedelta(hours=policy.max_presence_hours))
    return first, localtime.today(as_of)


def get_or_404(session: Session, *, opening_id: uuid.UUID) -> EscrowOpening:
    opening = session.get(EscrowOpening, opening_id)
    if opening is None:
        raise NotFound(N_("This opening does not exist."))
    return opening


def request_opening(
    session: Session,
    *,
    principal: Principal | None,
    case: Case,
    policy: Policy | None = None,
    now: datetime | None = None,
    reason: str = "",
) -> EscrowOpening:
    """A health officer asks to open the days of a case's trace; two officials must approve.
    The policy in force and the present time unless given."""
    user = require(principal, Action.CASES_MANAGE, case.ward_code, session=session)
    policy = policy or policy_store.current(session)
    now = now or utcnow()
    first, last = opening_days(case, policy, now)
    opening = EscrowOpening(
        id=uuid.uuid4(),
        case_id=case.id,
        first_day=first,
        last_day=last,
        reason=reason.strip()[:300],
        requested_by=user.user_id,
        requested_at=now,
        expires_at=now + timedelta(hours=APPROVAL_HOURS),
        status=OpeningStatus.REQUESTED,
    )
    session.add(opening)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="escrow_request",
        subject_type="case",
        subject_id=case.id,
        purpose="contact tracing",
        detail={"opening": str(opening.id), "days": [first.isoformat(), last.isoformat()]},
    )
    return opening


def _days(opening: EscrowOpening) -> Iterator[date]:
    day = opening.first_day
    while day <= opening.last_day:
        yield day
        day += timedelta(days=1)


def _needed(session: Session, opening: EscrowOpening) -> dict[date, EscrowDayKey]:
    keys = session.scalars(
        select(EscrowDayKey).where(
            EscrowDayKey.day >= opening.first_day, EscrowDayKey.day <= opening.last_day
        )
    )
    return {k.day: k for k in keys}


def _check_shares(needed: dict[date, EscrowDayKey], shares: crypto.Shares) -> dict[date, bytes]:
    """The share of each needed day, refused with the reason when one is missing or wrong."""
    picked: dict[date, bytes] = {}
    for day, key in sorted(needed.items()):
        share = shares.days.get(day)
        if share is None:
            raise ShareRefused(
                "missing_day",
                N_("The share file has no share of the key of %(day)s."),
                params={"day": day.isoformat()},
            )
        expected = key.share_a_digest if shares.holder == "a" else key.share_b_digest
        if crypto.digest(share) != expected:
            raise ShareRefused(
                "wrong_share",
                N_(
                    "This is not share %(holder)s of the key of %(day)s: its fingerprint does "
                    "not match the one published at the key ceremony. Check that it is the "
                    "file given to you at that ceremony."
                ),
                params={"holder": shares.holder.upper(), "day": day.isoformat()},
            )
        picked[day] = share
    return picked


def _wrap_key(secret: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"epitrace escrow pending")
    return AESGCM(hkdf.derive(secret))


def _aad(opening: EscrowOpening, holder: str) -> bytes:
    return opening.id.bytes + holder.encode()


def _wrap(secret: bytes, opening: EscrowOpening, holder: str, shares: dict[date, bytes]) -> bytes:
    plain = json.dumps(
        {d.isoformat(): base64.b64encode(s).decode() for d, s in shares.items()}
    ).encode()
    nonce = os.urandom(12)
    return nonce + _wrap_key(secret).encrypt(nonce, plain, _aad(opening, holder))


def _unwrap(secret: bytes, opening: EscrowOpening, holder: str, blob: bytes) -> dict[date, bytes]:
    plain = _wrap_key(secret).decrypt(blob[:12], blob[12:], _aad(opening, holder))
    return {date.fromisoformat(d): base64.b64decode(s) for d, s in json.loads(plain).items()}


def _approver(
    session: Session, *, principal: Principal | None, opening_id: uuid.UUID
) -> tuple[EscrowOpening, Case, Principal]:
    opening = get_or_404(session, opening_id=opening_id)
    case = session.get(Case, opening.case_id)
    if case is None:  # pragma: no cover - the opening cascades with its case
        raise NotFound(N_("This opening does not exist."))
    user = require(principal, Action.ESCROW_APPROVE, case.ward_code, session=session)
    return opening, case, user


def may_approve(session: Session, *, principal: Principal | None, opening_id: uuid.UUID) -> None:
    """Refuse (401/403/404) whoever may not approve this opening."""
    _approver(session, principal=principal, opening_id=opening_id)


SHARE_BYTES = 1 << 20  # a share file of ten years of days is about 600 KB


def shares_from_upload(
    session: Session, *, principal: Principal | None, opening_id: uuid.UUID, raw: bytes
) -> crypto.Shares:
    """An uploaded share file read, or refused (`ShareRefused`) when it is not one. Who may
    approve the opening is asked first: a refusal of the file says nothing to others."""
    try:
        if len(raw) > SHARE_BYTES:
            raise crypto.ShareError("too large")
        return crypto.read_share_file(raw.decode("utf-8"))
    except (crypto.ShareError, UnicodeDecodeError):
        may_approve(session, principal=principal, opening_id=opening_id)
        raise ShareRefused(
            "damaged", N_("This is not a share file of the key ceremony, or it is damaged.")
        ) from None


def _may(principal: Principal | None, action: Action, case: Case, session: Session) -> bool:
    try:
        require(principal, action, case.ward_code, session=session)
    except DomainError:
        return False
    return True


def _reader(session: Session, principal: Principal | None, case: Case) -> tuple[bool, bool]:
    """May the principal ask for openings of the case, approve them? 401/403 if neither."""
    can_request = _may(principal, Action.CASES_MANAGE, case, session)
    can_approve = _may(principal, Action.ESCROW_APPROVE, case, session)
    if not (can_request or can_approve):
        require(principal, Action.ESCROW_APPROVE, case.ward_code, session=session)  # raises
    return can_request, can_approve


def get_for(
    session: Session, *, principal: Principal | None, opening_id: uuid.UUID
) -> tuple[EscrowOpening, Trace | None]:
    """An opening and, once traced, its trace: for whoever may ask for or approve openings
    of its case."""
    opening = get_or_404(session, opening_id=opening_id)
    case = session.get(Case, opening.case_id)
    if case is None:  # pragma: no cover - the opening cascades with its case
        raise NotFound(N_("This opening does not exist."))
    _reader(session, principal, case)
    trace = session.get(Trace, opening.trace_id) if opening.trace_id else None
    return opening, trace


@dataclass(frozen=True)
class CaseOpenings:
    """What the openings page of a case shows, and what the reader may do there."""

    openings: list[tuple[EscrowOpening, list[str]]]  # newest first, with the shares given
    can_request: bool
    can_approve: bool


def case_openings(session: Session, *, principal: Principal | None, case: Case) -> CaseOpenings:
    """The case's openings, for whoever may ask for one or approve one in the case's area
    (401/403 for anyone else)."""
    can_request, can_approve = _reader(session, principal, case)
    openings = list(
        session.scalars(
            select(EscrowOpening)
            .where(EscrowOpening.case_id == case.id)
            .order_by(EscrowOpening.requested_at.desc())
        )
    )
    holders: dict[uuid.UUID, list[str]] = {o.id: [] for o in openings}
    if openings:
        for opening_id, holder in session.execute(
            select(EscrowApproval.opening_id, EscrowApproval.holder)
            .where(EscrowApproval.opening_id.in_(list(holders)))
            .order_by(EscrowApproval.holder)
        ):
            holders[opening_id].append(holder.upper())
    return CaseOpenings([(o, holders[o.id]) for o in openings], can_request, can_approve)


@dataclass(frozen=True)
class Approved:
    opening: EscrowOpening
    trace: Trace | None  # None while the second share is awaited


def approve(
    session: Session,
    *,
    principal: Principal | None,
    opening_id: uuid.UUID,
    shares: crypto.Shares,
    secret: bytes,
    policy: Policy | None = None,
    now: datetime | None = None,
    open_now: bool = False,
) -> Approved:
    """One official approves with their share. With the second (another official, the other
    share) the opening is approved: the job `escrow.open_approved` opens the identities of its
    days, traces the case and discards them (`open_approved`), or this call does it at once
    with `open_now`. The policy in force and the present time unless given."""
    opening, case, user = _approver(session, principal=principal, opening_id=opening_id)
    now = now or utcnow()
    if opening.status is not OpeningStatus.REQUESTED or opening.expires_at <= now:
        raise Conflict(
            N_("This opening is no longer waiting for approval (%(status)s)."),
            params={"status": "expired" if opening.status is OpeningStatus.REQUESTED
                    else opening.status.value},
            code="escrow_not_waiting",
        )  # fmt: skip
    earlier = list(
        session.scalars(select(EscrowApproval).where(EscrowApproval.opening_id == opening.id))
    )
    if any(a.approved_by == user.user_id for a in earlier):
        raise Conflict(
            N_(
                "You have already approved this opening; one official alone cannot open "
                "identities. The other share must come from another official."
            ),
            code="escrow_same_official",
        )
    if any(a.holder == shares.holder for a in earlier):
        raise Conflict(
            N_(
                "Share %(holder)s has already been given for this opening; the other share "
                "is needed."
            ),
            params={"holder": shares.holder.upper()},
            code="escrow_same_share",
        )
    needed = _needed(session, opening)
    mine = _check_shares(needed, shares)
    approval = EscrowApproval(
        opening_id=opening.id, approved_by=user.user_id, holder=shares.holder, approved_at=now
    )
    session.add(approval)
    audit.record(
        session,
        actor=user,
        action="escrow_approve",
        subject_type="case",
        subject_id=case.id,
        purpose="contact tracing",
        detail={"opening": str(opening.id), "share": shares.holder},
    )
    approval.pending_share = _wrap(secret, opening, shares.holder, mine)
    if not earlier:
        session.flush()
        return Approved(opening, None)
    # the second share: the two must make each day's key, checked while the official is here
    try:
        _day_keys(secret, opening, needed, [*earlier, approval])
    except InvalidTag:
        # the first share was kept under another server secret: it is dropped, and this one
        # waits as the first
        _ask_again(session, opening=opening, approvals=earlier, actor=user, now=now)
        return Approved(opening, None)
    opening.status = OpeningStatus.APPROVED
    session.flush()
    if not open_now:
        return Approved(opening, None)
    trace = open_approved(session, opening=opening, secret=secret, policy=policy, actor=user)
    return Approved(opening, trace)


def _day_keys(
    secret: bytes,
    opening: EscrowOpening,
    needed: dict[date, EscrowDayKey],
    approvals: Sequence[EscrowApproval],
) -> dict[date, X25519PrivateKey]:
    """Each day's private key, from the two waiting shares (in memory only)."""
    waiting = {}
    for approval in approvals:
        if approval.pending_share is None:  # pragma: no cover - erased only when it is used
            raise Conflict(N_("A share of this opening is missing."), code="escrow_share_gone")
        waiting[approval.holder] = _unwrap(secret, opening, approval.holder, approval.pending_share)
    keys: dict[date, X25519PrivateKey] = {}
    for day, key in needed.items():
        private = crypto.combine(waiting["a"][day], waiting["b"][day])
        if crypto.public_of(private) != key.public_key:  # pragma: no cover - digests checked
            raise ShareRefused("wrong_share", N_("The two shares do not make the day's key."))
        keys[day] = private
    return keys


def open_approved(
    session: Session,
    *,
    opening: EscrowOpening,
    secret: bytes,
    policy: Policy | None = None,
    actor: Principal | None = None,
) -> Trace:
    """An approved opening run: the two waiting shares make the days' keys in memory and are
    erased, the days' identities are opened into a temporary table, the case is traced and the
    table dropped (`open_and_trace`). The scheduled job `escrow.open_approved` runs it, so
    that an opening of millions of presences does not hold up the approving official's
    request; the CLI runs it at once (`actor`: who ran it; None: the job)."""
    case = session.get(Case, opening.case_id)
    if case is None or opening.status is not OpeningStatus.APPROVED:  # pragma: no cover
        raise Conflict(N_("This opening is not waiting to be opened."), code="escrow_not_approved")
    approvals = list(
        session.scalars(select(EscrowApproval).where(EscrowApproval.opening_id == opening.id))
    )
    try:
        keys = _day_keys(secret, opening, _needed(session, opening), approvals)
    except InvalidTag:
        _ask_again(session, opening=opening, approvals=approvals, actor=actor, now=utcnow())
        raise SharesUnreadable(SHARES_UNREADABLE, code="escrow_shares_lost") from None
    for approval in approvals:
        approval.pending_share = None
    session.flush()
    trace = open_and_trace(
        session,
        opening=opening,
        case=case,
        keys=keys,
        policy=policy or policy_store.current(session),
    )
    audit.record(
        session,
        actor=actor,
        action="escrow_open",
        subject_type="case",
        subject_id=case.id,
        purpose="contact tracing",
        detail={
            "opening": str(opening.id),
            "days": [opening.first_day.isoformat(), opening.last_day.isoformat()],
            "approved_by": sorted(str(a.approved_by) for a in approvals),
            "presences": opening.opened_presences,
            "trace": str(trace.id),
            "f1": trace.f1_count,
            "f2": trace.f2_count,
        },
    )
    return trace


class SharesUnreadable(Conflict):
    """The waiting shares were encrypted with another server secret: the opening is asked for
    again (`_ask_again`), and this change is kept."""


SHARES_UNREADABLE = N_(
    "The shares given for this opening cannot be read with the server's current secret (it "
    "was changed after they were given). The opening waits for the two officials' shares "
    "again."
)


def _ask_again(
    session: Session,
    *,
    opening: EscrowOpening,
    approvals: Sequence[EscrowApproval],
    actor: Principal | None,
    now: datetime,
) -> None:
    """Shares no secret of this server can read: erased with their approvals, and the opening
    waits for two shares again, for a full approval period, instead of failing every run."""
    for approval in approvals:
        session.delete(approval)
    opening.status = OpeningStatus.REQUESTED
    opening.expires_at = now + timedelta(hours=APPROVAL_HOURS)
    audit.record(
        session,
        actor=actor,
        action="escrow_shares_lost",
        subject_type="case",
        subject_id=opening.case_id,
        purpose="contact tracing",
        detail={"opening": str(opening.id), "approved_by": [str(a.approved_by) for a in approvals]},
    )
    session.flush()


def open_next_approved(session: Session, *, secret: bytes) -> EscrowOpening | None:
    """The oldest approved opening opened and traced (the job's step); None when none waits.
    On PostgreSQL a second worker skips the opening one is already running. An opening whose
    shares this server's secret cannot read goes back to waiting for shares (committed by the
    job like an opening traced)."""
    opening = session.scalars(
        select(EscrowOpening)
        .where(EscrowOpening.status == OpeningStatus.APPROVED)
        .order_by(EscrowOpening.requested_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if opening is None:
        return None
    try:
        open_approved(session, opening=opening, secret=secret)
    except SharesUnreadable:
        log.warning("escrow opening %s: its shares cannot be read; asked for again", opening.id)
    return opening


# -- the opening itself -------------------------------------------------------------------------

_opened_metadata = MetaData()
OPENED = Table(
    "escrow_opened",
    _opened_metadata,
    Column("id", Uuid, primary_key=True),
    Column("venue_id", Uuid, nullable=False),
    Column("ward_code", String(16), nullable=False),
    Column("person_id", Uuid),
    Column("manual_visitor_id", Uuid),
    Column("entered_at", UTCDateTime(), nullable=False),
    Column("left_at", UTCDateTime()),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
# made after the rows are in (faster than keeping them up to date row by row)
_OPENED_INDEXES = (
    "CREATE INDEX ix_escrow_opened_venue ON escrow_opened (venue_id, entered_at)",
    "CREATE INDEX ix_escrow_opened_person ON escrow_opened (person_id, entered_at)",
    "CREATE INDEX ix_escrow_opened_visitor ON escrow_opened (manual_visitor_id)",
)


Row = tuple[Any, ...]


def _open_rows(
    rows: Sequence[Row], keys: dict[date, X25519PrivateKey]
) -> tuple[list[Row], int, int]:
    """The rows with their identities opened (a row that does not open is left out), how many
    were opened and how many left out. Runs in worker threads (the decryption releases the
    GIL)."""
    out: list[Row] = []
    opened = refused = 0
    for pid, venue, ward, stored_person, stored_visitor, entered, left, sealed, day in rows:
        person, visitor = stored_person, stored_visitor
        if sealed is not None:
            key = keys.get(day) if day is not None else None
            try:
                if key is None or day is None:
                    raise ValueError("no key")
                who = crypto.open_sealed(key, sealed, presence_id=pid, day=day)
            except ValueError:
                refused += 1
                continue
            person, visitor = who.person_id, who.manual_visitor_id
            opened += 1
        out.append((pid, venue, ward, person, visitor, entered, left))
    return out, opened, refused


def _fill(
    session: Session, *, start: datetime, end: datetime, keys: dict[date, X25519PrivateKey]
) -> tuple[int, int]:
    """Copy the presences entered in [start, end) with their identities opened; the number
    opened and the number that did not open (altered rows, left out).

    Chunks of rows are decrypted on a few threads while the next are read; the database is
    read and written on this thread only.
    """
    stmt = (
        select(
            Presence.id,
            Presence.venue_id,
            Presence.ward_code,
            Presence.person_id,
            Presence.manual_visitor_id,
            Presence.entered_at,
            Presence.left_at,
            Presence.sealed_identity,
            Presence.key_day,
        )
        .where(Presence.entered_at >= start, Presence.entered_at < end)
        .execution_options(yield_per=_CHUNK)
    )
    write = _writer(session)
    if session.get_bind().dialect.name == "sqlite":
        everything = session.execute(stmt).all()  # SQLite: read before writing on the connection
        chunks: Iterator[Sequence[Row]] = (
            everything[i : i + _CHUNK] for i in range(0, len(everything), _CHUNK)
        )
    else:
        chunks = session.execute(stmt).partitions(_CHUNK)
    opened = refused = 0
    pending: deque[Future[tuple[list[Row], int, int]]] = deque()

    def drain(keep: int) -> None:
        nonlocal opened, refused
        while len(pending) > keep:
            rows, opened_here, refused_here = pending.popleft().result()
            write(rows)
            opened += opened_here
            refused += refused_here

    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for chunk in chunks:
            pending.append(pool.submit(_open_rows, list(chunk), keys))
            drain(2 * _WORKERS)
        drain(0)
    return opened, refused


_COLUMNS = (
    "id",
    "venue_id",
    "ward_code",
    "person_id",
    "manual_visitor_id",
    "entered_at",
    "left_at",
)


def _writer(session: Session) -> Callable[[list[tuple[object, ...]]], None]:
    """Rows into the temporary table: COPY on PostgreSQL, an INSERT of many rows on SQLite."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":

        def insert_rows(rows: list[tuple[object, ...]]) -> None:
            session.execute(insert(OPENED), [dict(zip(_COLUMNS, r, strict=True)) for r in rows])

        return insert_rows
    dbapi: Any = connection.connection.dbapi_connection  # psycopg's, for COPY

    def copy_rows(rows: list[tuple[object, ...]]) -> None:
        with (
            dbapi.cursor() as cursor,
            cursor.copy(f"COPY escrow_opened ({', '.join(_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    return copy_rows


def open_and_trace(
    session: Session,
    *,
    opening: EscrowOpening,
    case: Case,
    keys: dict[date, X25519PrivateKey],
    policy: Policy,
) -> Trace:
    """Open the identities of the opening's days into a temporary table, trace the case from
    it as at the request, and drop the table (the identities go with it)."""
    connection = session.connection()
    OPENED.create(connection)
    try:
        start, _ = localtime.day_bounds(opening.first_day)
        _, end = localtime.day_bounds(opening.last_day)
        opened, refused = _fill(session, start=start, end=end, keys=keys)
        for index in _OPENED_INDEXES:
            session.execute(text(index))
        if connection.dialect.name == "postgresql":
            # autovacuum never analyses temporary tables: the planner needs the figures
            session.execute(text("ANALYZE escrow_opened"))
        outcome = trace_case(
            session,
            case=case,
            policy=policy,
            as_of=opening.requested_at,
            ran_by=opening.requested_by,
            presence_table=OPENED.name,
        )
    finally:
        session.execute(text("DROP TABLE IF EXISTS escrow_opened"))
    opening.status = OpeningStatus.TRACED
    opening.trace_id = outcome.trace.id
    opening.opened_presences = opened
    opening.completed_at = outcome.trace.ran_at
    if refused:
        audit.record(
            session,
            actor=None,
            action="escrow_unreadable",
            subject_type="escrow_opening",
            subject_id=opening.id,
            purpose="contact tracing",
            detail={"presences": refused},
        )
    session.flush()
    return outcome.trace


def expire(session: Session, *, now: datetime) -> int:
    """Openings not approved in time expire; the share waiting in them is erased."""
    stale = list(
        session.scalars(
            select(EscrowOpening.id).where(
                EscrowOpening.status == OpeningStatus.REQUESTED, EscrowOpening.expires_at <= now
            )
        )
    )
    if not stale:
        return 0
    session.execute(
        update(EscrowApproval)
        .where(EscrowApproval.opening_id.in_(stale))
        .values(pending_share=None)
    )
    session.execute(
        update(EscrowOpening)
        .where(EscrowOpening.id.in_(stale))
        .values(status=OpeningStatus.EXPIRED, completed_at=now)
    )
    session.flush()
    return len(stale)


def purge_keys(session: Session, *, before: date) -> int:
    """Public keys of days older than every presence kept are of no more use."""
    result = session.execute(delete(EscrowDayKey).where(EscrowDayKey.day < before))
    return int(getattr(result, "rowcount", 0) or 0)


def sealed_count(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Presence).where(Presence.sealed_identity.is_not(None))
        )
        or 0
    )
