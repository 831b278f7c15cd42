"""The outbox workers: claim due rows, keep each channel's shared rate, send, record.

One pass (`Dispatcher.run_once`) does, for each channel it has an adapter for:

1. housekeeping (every few seconds): rows whose worker died (`sending` past `lease_until`)
   are sent again when the channel de-duplicates on the key, else put in dead letter as
   "outcome unknown" — never sent twice; pushes nobody acknowledged in time switch to their
   fallback channel;
2. quiet hours: due SMS/OTT rows that are not urgent move to the end of the quiet period;
3. claim: take tokens from the channel's bucket (`channel_state`, locked for one short
   transaction, shared by every worker), then as many due rows (`SELECT … FOR UPDATE SKIP
   LOCKED` and one `UPDATE … RETURNING`; SQLite has one writer at a time) → `sending`
   with a lease; rows past `expires_at` end as `expired`, numbers that opted out after
   the row was queued as `skipped`;
4. render (`rendering.render_rows`), send one by one, and record the outcomes in their own
   transactions (one by one, or 50 at a time for channels that drop copies by key),
   guarded by the claim (status, worker, attempt) so that a row taken over after a lost
   lease is never recorded twice.

Services flush, never commit; this module is a job wrapper: it owns its transactions.
"""

from __future__ import annotations

import logging
import math
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.alerts import rendering, templates
from epitrace.alerts.channels import Accepted, Adapter, Outgoing, Refused, Retry
from epitrace.alerts.models import Channel, ChannelState, OutboxMessage, SmsOptOut, Status
from epitrace.alerts.templates import Rendered
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.errors import DomainError

log = logging.getLogger("epitrace.alerts.dispatch")

PHONE_CHANNELS = frozenset({Channel.SMS, Channel.OTT})
MAX_BACKOFF_SECONDS = 6 * 3600
HOUSEKEEPING_SECONDS = 5.0
# outcomes of idempotent channels written together (see `Dispatcher._record`)
RECORD_GROUP = 50
RECORD_GROUP_SECONDS = 0.2
OUTCOME_UNKNOWN = "outcome unknown"
Clock = Callable[[], datetime]


class EarlyReceipts:
    """Receipts that arrived before their send was recorded (a fast SMSC answers the
    `deliver_sm` before the worker's commit); the worker applies them when it records."""

    def take(self, channel: Channel, provider_ref: str) -> tuple[bool, str] | None:
        return None


@dataclass
class PassResult:
    claimed: int = 0
    sent: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    skipped: int = 0
    deferred: int = 0
    recovered: int = 0
    dead_unknown: int = 0
    fell_back: int = 0
    released: int = 0
    wait_seconds: float = 0.0  # until a token or a pause ends, when a channel had work
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, other: PassResult) -> None:
        for name in [
            "claimed",
            "sent",
            "delivered",
            "retried",
            "failed",
            "expired",
            "skipped",
            "deferred",
            "recovered",
            "dead_unknown",
            "fell_back",
            "released",
        ]:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.by_channel.items():
            self.by_channel[key] = self.by_channel.get(key, 0) + value

    @property
    def did_work(self) -> bool:
        return bool(
            self.claimed
            or self.expired
            or self.skipped
            or self.deferred
            or self.recovered
            or self.dead_unknown
            or self.fell_back
        )


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:80]


def backoff_seconds(attempts: int, base: float, rng: random.Random) -> float:
    """Exponential from `base` (attempt 1 waits base, 2 waits 2×base, …) plus up to 25 %
    jitter, so that rows failed together do not all come back together."""
    delay = min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1))
    return float(delay + rng.uniform(0, delay / 4))


def _quiet(settings: Settings, now: datetime) -> bool:
    return localtime.in_window(now, settings.alerts_quiet_start, settings.alerts_quiet_end)


def _ignores_opt_out(row: OutboxMessage) -> bool:
    """Whether a later opt-out leaves the row alone: the enqueuer's choice (a policy's contact
    alerts) or, for rows queued before it was stored, the template's."""
    if row.ignore_opt_out:
        return True
    try:
        return templates.get(row.template).ignore_opt_out
    except DomainError:  # a domain's own renderer (campaigns): never past an opt-out
        return False


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


@dataclass
class _Claim:
    rows: list[OutboxMessage]
    result: PassResult
    wait_seconds: float = 0.0


class Dispatcher:
    """A worker: sends the due rows of its channels through their adapters.

    Several may run at once (processes or machines, on PostgreSQL); on SQLite one runs in
    the web process or as `epitrace worker`. `clock` and `rng` are for tests.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        adapters: Mapping[Channel, Adapter],
        *,
        name: str | None = None,
        channels: Iterable[Channel] | None = None,
        early_receipts: EarlyReceipts | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        wanted = set(channels) if channels is not None else set(adapters)
        self.adapters = {c: a for c, a in adapters.items() if c in wanted}
        self.name = (name or default_worker_name())[:80]
        self.early_receipts = early_receipts or EarlyReceipts()
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.stop_event = threading.Event()
        self._next_housekeeping: datetime | None = None
        self.totals = PassResult()
        self.thread: threading.Thread | None = None
        self._pending: list[tuple[OutboxMessage, dict[str, Any], str]] = []
        self._pending_since = 0.0
        self._group = 1

    # -- the loop -------------------------------------------------------------------------

    def run_once(self) -> PassResult:
        """One pass over every channel: housekeeping when due, then one batch each."""
        result = PassResult()
        now = self.clock()
        if self._next_housekeeping is None or now >= self._next_housekeeping:
            result.add(self.housekeeping())
            self._next_housekeeping = now + timedelta(seconds=HOUSEKEEPING_SECONDS)
        waits: list[float] = []
        for channel in sorted(self.adapters):
            if self.stop_event.is_set():
                break
            one = self.dispatch_channel(channel)
            result.add(one)
            if one.wait_seconds:
                waits.append(one.wait_seconds)
        result.wait_seconds = min(waits) if waits else 0.0
        self.totals.add(result)
        return result

    def drain(self, *, max_passes: int = 1_000_000) -> PassResult:
        """Pass until nothing is due (or `stop`); waits for tokens on the real clock."""
        total = PassResult()
        for _ in range(max_passes):
            one = self.run_once()
            total.add(one)
            if self.stop_event.is_set():
                break
            if not one.did_work:
                if one.wait_seconds and self._has_due():
                    self.stop_event.wait(min(one.wait_seconds, 1.0))
                    continue
                break
        return total

    def run_forever(
        self,
        *,
        poll_seconds: float = 1.0,
        on_pass: Callable[[PassResult], None] | None = None,
    ) -> None:
        """Until `stop()`: the message in hand is finished, the rest of the batch released."""
        while not self.stop_event.is_set():
            try:
                one = self.run_once()
            except Exception:  # a database hiccup must not end the worker
                log.exception("dispatch pass failed")
                self.stop_event.wait(poll_seconds)
                continue
            if on_pass is not None:
                on_pass(one)
            if one.claimed:
                continue
            self.stop_event.wait(min(poll_seconds, one.wait_seconds or poll_seconds))

    def stop(self) -> None:
        self.stop_event.set()

    def start_thread(self) -> threading.Thread:
        self.thread = threading.Thread(target=self.run_forever, name="epitrace-outbox", daemon=True)
        self.thread.start()
        return self.thread

    def stop_and_wait(self, timeout: float = 30.0) -> None:
        """Stop the thread started by `start_thread` after the message in hand."""
        self.stop()
        if self.thread is not None:
            self.thread.join(timeout)
        self.close()

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()

    def _has_due(self) -> bool:
        now = self.clock()
        with self.db.sessionmaker() as session:
            stmt = select(OutboxMessage.id).where(
                OutboxMessage.status == Status.QUEUED.value,
                OutboxMessage.channel.in_([c.value for c in self.adapters]),
                OutboxMessage.due_at <= now,
            )
            return session.scalars(stmt.limit(1)).first() is not None

    # -- housekeeping -----------------------------------------------------------------------

    def housekeeping(self) -> PassResult:
        """Recover lost leases and start the fallbacks of unacknowledged pushes."""
        result = PassResult()
        now = self.clock()
        with self.db.session_scope() as session:
            for channel, adapter in self.adapters.items():
                lost = and_(
                    OutboxMessage.status == Status.SENDING.value,
                    OutboxMessage.channel == channel.value,
                    OutboxMessage.lease_until < now,
                )
                exhausted = session.execute(
                    update(OutboxMessage)
                    .where(lost, OutboxMessage.attempts >= self.settings.alerts_max_attempts)
                    .values(
                        status=Status.FAILED.value,
                        dead_reason=(
                            "attempts exhausted (worker lost)"
                            if adapter.accepts_idempotency_key
                            else OUTCOME_UNKNOWN
                        ),
                        failed_at=now,
                        lease_until=None,
                    )
                )
                result.dead_unknown += exhausted.rowcount or 0  # type: ignore[attr-defined]
                if adapter.accepts_idempotency_key:
                    # the channel drops a second copy with the same key: send again
                    again = session.execute(
                        update(OutboxMessage)
                        .where(lost)
                        .values(
                            status=Status.QUEUED.value,
                            due_at=now,
                            lease_until=None,
                            last_error="worker lost during sending",
                        )
                    )
                    result.recovered += again.rowcount or 0  # type: ignore[attr-defined]
                else:
                    unknown = session.execute(
                        update(OutboxMessage)
                        .where(lost)
                        .values(
                            status=Status.FAILED.value,
                            dead_reason=OUTCOME_UNKNOWN,
                            failed_at=now,
                            lease_until=None,
                        )
                    )
                    result.dead_unknown += unknown.rowcount or 0  # type: ignore[attr-defined]
                if channel in PHONE_CHANNELS:
                    result.fell_back += self._start_fallbacks(session, channel, now)
        return result

    def _start_fallbacks(self, session: Session, channel: Channel, now: datetime) -> int:
        """Pushes sent before the fallback delay and not acknowledged become rows of their
        fallback channel. The switch is one guarded UPDATE (status `sent`, this fallback
        still set): of two workers, or a worker and the acknowledgement, one wins."""
        switched = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == Status.SENT.value,
                OutboxMessage.lease_until < now,
                OutboxMessage.channel == Channel.PUSH.value,
                OutboxMessage.fallback_channel == channel.value,
            )
            .values(
                channel=channel.value,
                fallback_channel=None,
                status=Status.QUEUED.value,
                due_at=now,
                lease_until=None,
                attempts=0,
                provider_ref=None,
                last_error="push not acknowledged",
            )
        )
        return switched.rowcount or 0  # type: ignore[attr-defined]

    # -- one channel ------------------------------------------------------------------------

    def dispatch_channel(self, channel: Channel) -> PassResult:
        adapter = self.adapters[channel]
        result = PassResult()
        if channel in PHONE_CHANNELS and _quiet(self.settings, self.clock()):
            result.deferred += self._defer_quiet(channel)
        claim = self.claim(channel, adapter)
        result.add(claim.result)
        result.wait_seconds = claim.wait_seconds
        if claim.rows:
            result.add(self.send_claimed(channel, adapter, claim.rows))
        result.by_channel[channel.value] = result.sent + result.delivered
        return result

    def _defer_quiet(self, channel: Channel) -> int:
        now = self.clock()
        end = localtime.next_outside(
            now, self.settings.alerts_quiet_start, self.settings.alerts_quiet_end
        )
        with self.db.session_scope() as session:
            moved = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == Status.QUEUED.value,
                    OutboxMessage.channel == channel.value,
                    OutboxMessage.due_at <= now,
                    OutboxMessage.urgent.is_(False),
                )
                .values(due_at=end)
            )
        return moved.rowcount or 0  # type: ignore[attr-defined]

    def _bucket(
        self, session: Session, channel: Channel, now: datetime, tokens: float = 0.0
    ) -> ChannelState:
        """The channel's bucket row, locked until the end of the transaction (a new bucket
        starts full)."""
        insert = _insert(session)
        session.execute(
            insert(ChannelState)
            .values(channel=channel.value, tokens=tokens, refilled_at=now)
            .on_conflict_do_nothing(index_elements=["channel"])
        )
        state = session.scalars(
            select(ChannelState)
            .where(ChannelState.channel == channel.value)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        return state

    def _take_tokens(self, channel: Channel, rate: float, now: datetime) -> tuple[int, float]:
        """(tokens granted, seconds to wait if none) from the channel's shared bucket, in a
        transaction of its own: the bucket row stays locked for one statement's time."""
        capacity = max(1.0, rate)  # one second of burst
        with self.db.session_scope() as session:
            state = self._bucket(session, channel, now, capacity)
            if state.paused_until is not None and state.paused_until > now:
                return 0, (state.paused_until - now).total_seconds()
            # `now` was read before the lock: another worker may have refilled later
            elapsed = max(0.0, (now - state.refilled_at).total_seconds())
            tokens = min(capacity, state.tokens + elapsed * rate)
            granted = max(0, min(self.settings.alerts_batch_size, math.floor(tokens)))
            state.refilled_at = max(now, state.refilled_at)
            state.tokens = tokens - granted
        return granted, 0.0 if granted else (1.0 - tokens) / rate

    def _give_back_tokens(self, channel: Channel, count: int, rate: float) -> None:
        with self.db.session_scope() as session:
            state = self._bucket(session, channel, self.clock())
            state.tokens = min(max(1.0, rate), state.tokens + count)

    def claim(self, channel: Channel, adapter: Adapter) -> _Claim:
        """Take tokens, then due rows of `channel` (`SELECT … FOR UPDATE SKIP LOCKED`, then
        one `UPDATE … RETURNING`), each in a short transaction; unused tokens go back."""
        settings = self.settings
        result = PassResult()
        now = self.clock()
        rate = max(adapter.rate_per_second, 1e-6)
        granted, wait = self._take_tokens(channel, rate, now)
        if not granted:
            return _Claim([], result, wait)
        due = [
            OutboxMessage.status == Status.QUEUED.value,
            OutboxMessage.channel == channel.value,
            OutboxMessage.due_at <= now,
        ]
        if channel in PHONE_CHANNELS and _quiet(settings, now):
            due.append(OutboxMessage.urgent.is_(True))
        candidates = (
            select(OutboxMessage.id)
            .where(*due)
            .order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)
            .limit(granted)
            .with_for_update(skip_locked=True)
        )
        live: list[OutboxMessage] = []
        with self.db.session_scope() as session:
            # two statements, not `IN (SELECT … LIMIT … SKIP LOCKED)`: a plan that scans
            # the subquery again could take more rows than tokens
            ids = list(session.scalars(candidates))
            taken = (
                session.scalars(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(
                        status=Status.SENDING.value,
                        lease_until=now + timedelta(seconds=settings.alerts_lease_seconds),
                        worker=self.name,
                        attempts=OutboxMessage.attempts + 1,
                    )
                    .returning(OutboxMessage),
                    execution_options={"synchronize_session": False},
                ).all()
                if ids
                else []
            )
            rows = sorted(taken, key=lambda r: (r.priority, r.due_at, r.id))
            opted_out = self._opted_out(session, channel, rows)
            for row in rows:
                if row.expires_at is not None and row.expires_at <= now:
                    row.status = Status.EXPIRED.value
                    row.expired_at = now
                    row.attempts -= 1
                    _erase_if_sensitive(row)
                    result.expired += 1
                elif row.id in opted_out:
                    row.status = Status.SKIPPED.value
                    row.dead_reason = "opted out"
                    row.attempts -= 1
                    _erase_if_sensitive(row)
                    result.skipped += 1
                else:
                    live.append(row)
        result.claimed = len(live)
        if len(live) < granted:
            self._give_back_tokens(channel, granted - len(live), rate)
        return _Claim(live, result)

    def _opted_out(
        self, session: Session, channel: Channel, rows: Sequence[OutboxMessage]
    ) -> set[int]:
        """Rows whose number opted out after the row was queued (an opt-out that existed
        then was the enqueuer's decision to pass, e.g. sign-in codes)."""
        if channel not in PHONE_CHANNELS or not rows:
            return set()
        phones = {r.phone for r in rows if r.phone}
        since = dict(
            session.execute(
                select(SmsOptOut.phone, SmsOptOut.created_at).where(SmsOptOut.phone.in_(phones))
            ).all()
        )
        out = set()
        for row in rows:
            at = since.get(row.phone) if row.phone else None
            if at is not None and at >= row.created_at and not _ignores_opt_out(row):
                out.add(row.id)
        return out

    # -- sending ----------------------------------------------------------------------------

    def _render(self, rows: Sequence[OutboxMessage]) -> dict[int, Rendered | str]:
        """Rendered texts by row id, or the reason a row cannot be rendered."""
        base_url, brand = self.settings.base_url, self.settings.alerts_brand
        with self.db.sessionmaker() as session:
            try:
                return dict(rendering.render_rows(session, rows, base_url=base_url, brand=brand))
            except Exception:  # isolate the row that breaks the batch
                log.exception("rendering a batch failed; rendering one by one")
            out: dict[int, Rendered | str] = {}
            for row in rows:
                try:
                    out.update(
                        rendering.render_rows(session, [row], base_url=base_url, brand=brand)
                    )
                except Exception as exc:
                    out[row.id] = f"cannot render: {exc}"[:300]
            return out

    def send_claimed(
        self, channel: Channel, adapter: Adapter, rows: Sequence[OutboxMessage]
    ) -> PassResult:
        """Send claimed rows one by one, recording the outcomes in their own transactions."""
        result = PassResult()
        self._group = RECORD_GROUP if adapter.accepts_idempotency_key else 1
        try:
            self._send_all(channel, adapter, rows, result)
        finally:
            self._flush(result)
            self._group = 1
        return result

    def _send_all(
        self,
        channel: Channel,
        adapter: Adapter,
        rows: Sequence[OutboxMessage],
        result: PassResult,
    ) -> None:
        rendered = self._render(rows)
        lease = timedelta(seconds=self.settings.alerts_lease_seconds)
        lease_until = min((r.lease_until for r in rows if r.lease_until), default=self.clock())
        for index, row in enumerate(rows):
            remaining = rows[index:]
            if self.stop_event.is_set():
                self._flush(result)
                result.released += self._release(remaining)
                break
            now = self.clock()
            if now >= lease_until - lease / 2:
                lease_until = self._renew(remaining, now + lease)
            text = rendered.get(row.id)
            if text is None or isinstance(text, str):
                self._record_refused(row, text or "cannot render", result)
                continue
            message = _outgoing(row, channel, text)
            try:
                accepted = adapter.send(message)
            except Retry as exc:
                self._record_retry(row, exc, result)
                if exc.pause_seconds > 0:
                    self._flush(result)
                    self._pause(channel, exc)
                    result.released += self._release(rows[index + 1 :])
                    break
                continue
            except Refused as exc:
                self._record_refused(row, exc.reason, result)
                continue
            except Exception as exc:  # an adapter bug: temporary, with backoff
                log.exception("adapter %s failed on %s", channel.value, row.key)
                self._record_retry(row, Retry(f"adapter error: {exc}"), result)
                continue
            self._record_accepted(row, channel, accepted, result)

    def _guard(self, row: OutboxMessage) -> Any:
        return and_(
            OutboxMessage.id == row.id,
            OutboxMessage.status == Status.SENDING.value,
            OutboxMessage.worker == self.name,
            OutboxMessage.attempts == row.attempts,
        )

    def _record(
        self, row: OutboxMessage, values: dict[str, Any], counter: str, result: PassResult
    ) -> None:
        """Record an outcome, guarded by the claim. Outcomes of channels that drop copies by
        key are written in groups (one transaction per `RECORD_GROUP` or 0.2 s): after a
        crash their rows are sent again harmlessly. Others are written one by one, so that
        a crash leaves at most the message in hand as "outcome unknown"."""
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append((row, values, counter))
        full = len(self._pending) >= self._group
        if full or time.monotonic() - self._pending_since >= RECORD_GROUP_SECONDS:
            self._flush(result)

    def _flush(self, result: PassResult) -> None:
        if not self._pending:
            return
        groups: dict[tuple[str, ...], list[tuple[OutboxMessage, dict[str, Any], str]]] = {}
        for item in self._pending:
            groups.setdefault(tuple(sorted(item[1])), []).append(item)
        self._pending = []
        table = cast(Table, OutboxMessage.__table__)
        with self.db.session_scope() as session:
            connection = session.connection()
            for names, items in groups.items():
                stmt = (
                    update(table)
                    .where(
                        table.c.id == bindparam("g_id"),
                        table.c.status == Status.SENDING.value,
                        table.c.worker == bindparam("g_worker"),
                        table.c.attempts == bindparam("g_attempts"),
                    )
                    .values({name: bindparam(f"v_{name}") for name in names})
                    .execution_options(preserve_rowcount=True)
                )
                params = [
                    {
                        "g_id": row.id,
                        "g_worker": self.name,
                        "g_attempts": row.attempts,
                        **{f"v_{k}": v for k, v in values.items()},
                    }
                    for row, values, _counter in items
                ]
                done = connection.execute(stmt, params)
                matched = done.rowcount if done.rowcount >= 0 else len(items)
                if matched < len(items):
                    log.warning(
                        "%d rows were taken over before their outcome was recorded",
                        len(items) - matched,
                    )
                counter = items[0][2]  # one outcome per group: the same columns change
                setattr(result, counter, getattr(result, counter) + matched)

    def _record_accepted(
        self, row: OutboxMessage, channel: Channel, accepted: Accepted, result: PassResult
    ) -> None:
        now = self.clock()
        values: dict[str, Any] = {
            "status": Status.SENT.value,
            "sent_at": now,
            "lease_until": None,
            "provider_ref": accepted.provider_ref,
            "segments": accepted.segments,
            "cost": accepted.cost,
            "last_error": None,
        }
        final = accepted.delivered
        if accepted.provider_ref is not None:
            early = self.early_receipts.take(channel, accepted.provider_ref)
            if early is not None:
                delivered, reason = early
                final = delivered
                if not delivered:
                    values.update(
                        status=Status.FAILED.value,
                        failed_at=now,
                        dead_reason=f"receipt: {reason}"[:300],
                    )
        if final:
            values.update(status=Status.DELIVERED.value, delivered_at=now)
        elif (
            values["status"] == Status.SENT.value
            and channel is Channel.PUSH
            and row.fallback_channel
        ):
            # waiting for the device's acknowledgement; after this the fallback takes over
            values["lease_until"] = now + timedelta(
                seconds=self.settings.alerts_push_fallback_seconds
            )
        if row.sensitive and not values["lease_until"]:
            values["params"] = None
        counter = {Status.DELIVERED.value: "delivered", Status.FAILED.value: "failed"}
        self._record(row, values, counter.get(values["status"], "sent"), result)

    def _record_retry(self, row: OutboxMessage, exc: Retry, result: PassResult) -> None:
        now = self.clock()
        attempts = row.attempts
        if exc.pause_seconds > 0:
            attempts -= 1  # the channel was throttled, not this message: no attempt used
        if attempts >= self.settings.alerts_max_attempts:
            if self._fall_back_now(row, exc.reason, result):
                return
            values: dict[str, Any] = {
                "status": Status.FAILED.value,
                "failed_at": now,
                "lease_until": None,
                "last_error": exc.reason,
                "dead_reason": f"attempts exhausted: {exc.reason}"[:300],
            }
            if row.sensitive:
                values["params"] = None
            self._record(row, values, "failed", result)
            return
        delay = backoff_seconds(attempts, self.settings.alerts_retry_base_seconds, self.rng)
        if exc.after_seconds is not None:
            delay = max(exc.after_seconds, exc.pause_seconds)
        values = {
            "status": Status.QUEUED.value,
            "due_at": now + timedelta(seconds=delay),
            "lease_until": None,
            "attempts": attempts,
            "last_error": exc.reason,
        }
        self._record(row, values, "retried", result)

    def _fall_back_now(self, row: OutboxMessage, reason: str, result: PassResult) -> bool:
        """A push that can never arrive (subscription gone, attempts exhausted) hands over to
        its fallback channel at once instead of waiting for the acknowledgement delay."""
        if row.channel != Channel.PUSH.value or not row.fallback_channel:
            return False
        values = {
            "channel": row.fallback_channel,
            "fallback_channel": None,
            "status": Status.QUEUED.value,
            "due_at": self.clock(),
            "lease_until": None,
            "attempts": 0,
            "last_error": f"push: {reason}"[:300],
        }
        self._record(row, values, "fell_back", result)
        return True

    def _record_refused(self, row: OutboxMessage, reason: str, result: PassResult) -> None:
        if self._fall_back_now(row, reason, result):
            return
        values: dict[str, Any] = {
            "status": Status.FAILED.value,
            "failed_at": self.clock(),
            "lease_until": None,
            "last_error": reason[:300],
            "dead_reason": reason[:300],
        }
        if row.sensitive:
            values["params"] = None
        self._record(row, values, "failed", result)

    def _pause(self, channel: Channel, exc: Retry) -> None:
        """Stop the channel for every worker (the gateway said: slow down)."""
        until = self.clock() + timedelta(seconds=exc.pause_seconds)
        with self.db.session_scope() as session:
            state = self._bucket(session, channel, self.clock())
            if state.paused_until is None or state.paused_until < until:
                state.paused_until = until
                state.pause_reason = exc.reason[:200]
            state.tokens = 0.0

    def _release(self, rows: Sequence[OutboxMessage]) -> int:
        """Give back claimed rows not sent (stopping, or the channel paused)."""
        released = 0
        for row in rows:
            values = {
                "status": Status.QUEUED.value,
                "lease_until": None,
                "attempts": row.attempts - 1,
                "worker": None,
            }
            with self.db.session_scope() as session:
                done = session.execute(
                    update(OutboxMessage).where(self._guard(row)).values(**values)
                )
                released += done.rowcount or 0  # type: ignore[attr-defined]
        return released

    def _renew(self, rows: Sequence[OutboxMessage], until: datetime) -> datetime:
        with self.db.session_scope() as session:
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_([r.id for r in rows]),
                    OutboxMessage.status == Status.SENDING.value,
                    OutboxMessage.worker == self.name,
                )
                .values(lease_until=until)
            )
        for row in rows:
            row.lease_until = until
        return until


def _erase_if_sensitive(row: OutboxMessage) -> None:
    if row.sensitive:
        row.params = None


def _outgoing(row: OutboxMessage, channel: Channel, text: Rendered) -> Outgoing:
    params = {str(k): str(v) for k, v in (row.params or {}).items()}
    if text.url:
        params.setdefault("url", text.url)
    return Outgoing(
        key=row.key,
        channel=channel,
        template=row.template,
        kind=row.kind,
        locale=row.locale,
        title=text.title,
        body=text.body,
        sms=text.sms,
        url=text.url,
        phone=row.phone,
        email=row.email,
        user_id=row.user_id,
        params=params,
        urgent=row.urgent,
    )
