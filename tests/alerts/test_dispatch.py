"""The outbox worker with an in-memory channel: outcomes, backoff, dead letter, expiry,
quiet hours, leases of dead workers, push fallback, shared rate and pauses."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from epitrace import localtime
from epitrace.alerts import service as alert_service
from epitrace.alerts.channels import Accepted, Refused, Retry
from epitrace.alerts.channels.fake import FakeAdapter
from epitrace.alerts.dispatch import OUTCOME_UNKNOWN, Dispatcher
from epitrace.alerts.models import Channel, ChannelState, Status
from epitrace.alerts.service import Recipient
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts import factories as af
from tests.alerts.outbox import NOW, QUIET, Clock, queue, row, rows, worker


def test_due_rows_are_sent_once_and_recorded(db: Database, settings: Settings) -> None:
    keys = queue(db, 3)
    fake = FakeAdapter(script=[Accepted(provider_ref="ref-1", segments=1, cost=800)])
    clock = Clock()
    result = worker(db, settings, [fake], clock).run_once()
    assert (result.claimed, result.sent) == (3, 3)
    first = row(db, keys[0])
    assert first.status == Status.SENT
    assert (first.provider_ref, first.segments, first.cost) == ("ref-1", 1, 800)
    assert first.sent_at == NOW
    assert first.attempts == 1
    assert first.lease_until is None
    assert all(fake.deliveries[k] == 1 for k in keys)
    assert "test message" in fake.sent[0].sms.lower() or fake.sent[0].sms
    # nothing left: a second pass sends nothing
    again = worker(db, settings, [fake], clock).run_once()
    assert again.claimed == 0
    assert sum(fake.requests.values()) == 3


def test_accepted_as_delivered_is_final(db: Database, settings: Settings) -> None:
    [key] = queue(db, 1)
    worker(db, settings, [FakeAdapter(delivered=True)], Clock()).run_once()
    assert row(db, key).status == Status.DELIVERED
    assert row(db, key).delivered_at == NOW


def test_retry_backs_off_then_dead_letter(db: Database, settings: Settings) -> None:
    [key] = queue(db, 1)
    fake = FakeAdapter(script=[Retry("HTTP 503: busy")] * 10)
    clock = Clock()
    w = worker(db, settings, [fake], clock, alerts_max_attempts=3, alerts_retry_base_seconds=30)
    w.run_once()
    first = row(db, key)
    assert first.status == Status.QUEUED
    assert first.last_error == "HTTP 503: busy"
    assert timedelta(seconds=30) <= first.due_at - NOW <= timedelta(seconds=37.5)
    assert w.run_once().claimed == 0  # not before its time
    clock.advance(38)
    w.run_once()
    second = row(db, key)
    assert timedelta(seconds=60) <= second.due_at - clock.now <= timedelta(seconds=75)
    clock.advance(76)
    w.run_once()
    dead = row(db, key)
    assert dead.status == Status.FAILED
    assert dead.dead_reason == "attempts exhausted: HTTP 503: busy"
    assert dead.attempts == 3
    assert fake.requests[key] == 3


def test_refused_goes_to_dead_letter_with_reason(db: Database, settings: Settings) -> None:
    [key] = queue(db, 1)
    fake = FakeAdapter(script=[Refused("HTTP 400: invalid number")])
    worker(db, settings, [fake], Clock()).run_once()
    dead = row(db, key)
    assert (dead.status, dead.dead_reason) == (Status.FAILED, "HTTP 400: invalid number")
    assert dead.failed_at == NOW


def test_rows_past_their_expiry_end_expired(db: Database, settings: Settings) -> None:
    [late] = queue(db, 1, expires_at=NOW + timedelta(minutes=5))
    [fresh] = queue(db, 1, expires_at=NOW + timedelta(days=1), start=10)
    clock = Clock(NOW + timedelta(minutes=10))
    fake = FakeAdapter()
    result = worker(db, settings, [fake], clock).run_once()
    assert (result.expired, result.sent) == (1, 1)
    assert row(db, late).status == Status.EXPIRED
    assert row(db, late).expired_at == clock.now
    assert row(db, fresh).status == Status.SENT
    assert late not in fake.requests


def test_quiet_hours_hold_sms_that_are_not_urgent(db: Database, settings: Settings) -> None:
    [calm] = queue(db, 1, urgent=False, now=QUIET)
    [urgent] = queue(db, 1, urgent=True, now=QUIET, start=10)
    [mail] = queue(db, 1, channel=Channel.EMAIL, urgent=False, now=QUIET)
    sms, email = FakeAdapter(), FakeAdapter(Channel.EMAIL)
    clock = Clock(QUIET)
    w = worker(db, settings, [sms, email], clock)
    result = w.run_once()
    assert result.deferred == 1
    assert row(db, urgent).status == Status.SENT
    assert row(db, mail).status == Status.SENT  # e-mail does not wake anyone
    held = row(db, calm)
    assert held.status == Status.QUEUED
    assert localtime.to_local(held.due_at).time().isoformat() == "06:00:00"
    assert held.due_at == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    clock.now = held.due_at
    w.run_once()
    assert row(db, calm).status == Status.SENT
    assert sms.requests[calm] == 1


def test_dead_worker_rows_are_sent_again_with_the_same_key(
    db: Database, settings: Settings
) -> None:
    keys = queue(db, 4)
    fake = FakeAdapter(accepts_idempotency_key=True)
    clock = Clock()
    doomed = worker(db, settings, [fake], clock, name="doomed")
    claim = doomed.claim(Channel.SMS, fake)
    assert len(claim.rows) == 4
    for claimed in claim.rows[:2]:  # sent, then killed before recording
        fake.send(af_outgoing(claimed))
    assert {r.status for r in rows(db)} == {Status.SENDING}
    clock.advance(settings.alerts_lease_seconds + 1)
    rescuer = worker(db, settings, [fake], clock, name="rescuer")
    result = rescuer.run_once()
    assert result.recovered == 4
    assert result.sent == 4
    assert all(row(db, k).status == Status.SENT for k in keys)
    assert all(fake.deliveries[k] == 1 for k in keys)  # the gateway dropped the copies
    assert [fake.requests[k] for k in keys] == [2, 2, 1, 1]


def test_dead_worker_rows_without_key_support_end_as_outcome_unknown(
    db: Database, settings: Settings
) -> None:
    keys = queue(db, 2)
    fake = FakeAdapter(accepts_idempotency_key=False)
    clock = Clock()
    doomed = worker(db, settings, [fake], clock, name="doomed")
    claim = doomed.claim(Channel.SMS, fake)
    fake.send(af_outgoing(claim.rows[0]))
    clock.advance(settings.alerts_lease_seconds + 1)
    result = worker(db, settings, [fake], clock, name="rescuer").run_once()
    assert result.dead_unknown == 2
    for key in keys:
        dead = row(db, key)
        assert (dead.status, dead.dead_reason) == (Status.FAILED, OUTCOME_UNKNOWN)
    assert sum(fake.deliveries.values()) == 1  # never twice
    # the dead worker wakes up and tries to record: nothing changes
    doomed._record_accepted(claim.rows[0], Channel.SMS, Accepted(), doomed.totals)
    assert row(db, keys[0]).status == Status.FAILED


def af_outgoing(claimed: Any) -> Any:
    from epitrace.alerts.channels import Outgoing

    return Outgoing(
        key=claimed.key,
        channel=Channel(claimed.channel),
        template=claimed.template,
        kind=claimed.kind,
        locale=claimed.locale,
        title="t",
        body="b",
        sms="s",
        phone=claimed.phone,
    )


def _push_citizen(db: Database, phone: str) -> Any:
    with db.session_scope() as session:
        person, account = af.citizen(session, phone, ward=None)
        alert_service.subscribe_push(
            session,
            user_id=account.id,
            endpoint=f"https://push.example.vn/{phone}",
            p256dh="k",
            auth="a",
        )
        result = alert_service.enqueue(
            session,
            recipients=[Recipient.person(person.id)],
            template="test",
            dedup_key=f"push:{phone}",
            channels=[Channel.PUSH, Channel.SMS],
            now=NOW,
        )
    return result.keys[0]


def test_unacknowledged_push_falls_back_to_sms_once(db: Database, settings: Settings) -> None:
    key = _push_citizen(db, "0912000101")
    acked = _push_citizen(db, "0912000102")
    push, sms = FakeAdapter(Channel.PUSH), FakeAdapter(Channel.SMS)
    clock = Clock()
    w = worker(db, settings, [push, sms], clock, alerts_push_fallback_seconds=900)
    w2 = worker(db, settings, [push, sms], clock, name="w2", alerts_push_fallback_seconds=900)
    w.run_once()
    sent = row(db, key)
    assert (sent.status, sent.channel, sent.fallback_channel) == ("sent", "push", "sms")
    assert sent.lease_until == NOW + timedelta(seconds=900)
    with db.session_scope() as session:  # the other device showed it
        alert_service.acknowledge(session, key=acked)
    clock.advance(600)
    assert w.housekeeping().fell_back == 0  # not yet
    clock.advance(301)
    assert w.housekeeping().fell_back == 1
    assert w2.housekeeping().fell_back == 0  # the switch happens once
    w.run_once()
    w2.run_once()
    fallen = row(db, key)
    assert (fallen.status, fallen.channel, fallen.fallback_channel) == ("sent", "sms", None)
    assert sms.deliveries[key] == 1
    assert sum(sms.requests.values()) == 1  # not the acknowledged one
    assert row(db, acked).status == Status.DELIVERED
    assert push.deliveries[key] == 1


def test_refused_push_falls_back_at_once(db: Database, settings: Settings) -> None:
    key = _push_citizen(db, "0912000103")
    push = FakeAdapter(Channel.PUSH, script=[Refused("HTTP 410: subscription gone")])
    sms = FakeAdapter(Channel.SMS)
    w = worker(db, settings, [push, sms], Clock())
    assert w.run_once().fell_back == 1
    w.run_once()
    fallen = row(db, key)
    assert (fallen.status, fallen.channel, fallen.attempts) == ("sent", "sms", 1)
    assert fallen.last_error is None
    assert sms.deliveries[key] == 1


def test_two_workers_share_the_channel_rate(db: Database, settings: Settings) -> None:
    queue(db, 120)
    fake = FakeAdapter(rate_per_second=10)
    clock = Clock()
    workers = [worker(db, settings, [fake], clock, name=f"w{i}") for i in range(2)]
    for step in range(50):  # 5 seconds
        for w in workers if step % 2 else workers[::-1]:
            w.run_once()
        clock.advance(0.1)
    sent = sum(fake.requests.values())
    # 10/s for 5 s, plus the first second's burst; both workers took part
    assert 45 <= sent <= 10 * 5 + 10
    assert workers[0].totals.sent and workers[1].totals.sent


def test_two_worker_threads_keep_the_rate_on_the_real_clock(
    db: Database, settings: Settings
) -> None:
    queue(db, 200, now=datetime.now(UTC), urgent=True)
    fake = FakeAdapter(rate_per_second=25)
    workers = [
        Dispatcher(db, settings, {Channel.SMS: fake}, name=f"t{i}", rng=random.Random(i))
        for i in range(2)
    ]
    started = time.monotonic()
    threads = [
        threading.Thread(target=w.run_forever, kwargs={"poll_seconds": 0.05}) for w in workers
    ]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    for w in workers:
        w.stop()
    for thread in threads:
        thread.join(timeout=10)
    elapsed = time.monotonic() - started
    sent = sum(fake.requests.values())
    assert sent <= 25 * elapsed + 25  # the rate plus one second of burst
    assert sent >= 25  # and it did send
    # every window of one second holds at most rate + burst sends (give or take the time
    # between a claim and its sends)
    times = sorted(fake.send_times)
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 1.0) <= 2 * 25 + 10


def test_throttled_gateway_pauses_the_channel_for_every_worker(
    db: Database, settings: Settings
) -> None:
    keys = queue(db, 5)
    fake = FakeAdapter(script=[Retry("HTTP 429", after_seconds=30, pause_seconds=30)])
    clock = Clock()
    w1 = worker(db, settings, [fake], clock, name="w1")
    w2 = worker(db, settings, [fake], clock, name="w2")
    result = w1.run_once()
    assert (result.retried, result.released) == (1, 4)
    with db.sessionmaker() as session:
        state = session.get(ChannelState, "sms")
        assert state is not None
        assert state.paused_until == NOW + timedelta(seconds=30)
    assert all(row(db, k).attempts == 0 for k in keys)  # throttling used no attempt
    assert w2.run_once().claimed == 0
    clock.advance(31)
    assert w2.run_once().sent == 5
    assert sum(fake.deliveries.values()) == 5


def test_numbers_that_opt_out_after_queueing_are_skipped(db: Database, settings: Settings) -> None:
    [key, other] = queue(db, 2)
    with db.session_scope() as session:
        alert_service.opt_out(session, phone=row(db, key).phone or "", source="stop")
    fake = FakeAdapter()
    result = worker(db, settings, [fake], Clock(NOW + timedelta(seconds=1))).run_once()
    assert (result.skipped, result.sent) == (1, 1)
    skipped = row(db, key)
    assert (skipped.status, skipped.dead_reason) == (Status.SKIPPED, "opted out")
    assert key not in fake.requests
    assert row(db, other).status == Status.SENT


def test_a_message_queued_past_opt_outs_is_sent_after_a_later_opt_out(
    db: Database, settings: Settings
) -> None:
    """A tracing policy's contact alerts ignore opt-out: the choice is the enqueuer's and
    holds when the number opts out between queuing and sending (the template alone does not
    ignore opt-outs)."""
    [key] = queue(db, 1, ignore_opt_out=True)
    [plain] = queue(db, 1, start=1)
    with db.session_scope() as session:
        for k in (key, plain):
            alert_service.opt_out(session, phone=row(db, k).phone or "", source="stop")
    fake = FakeAdapter()
    result = worker(db, settings, [fake], Clock(NOW + timedelta(seconds=1))).run_once()
    assert (result.sent, result.skipped) == (1, 1)
    assert row(db, key).status == Status.SENT
    assert fake.requests[key] == 1
    assert (row(db, plain).status, row(db, plain).dead_reason) == (Status.SKIPPED, "opted out")


def test_sign_in_codes_are_erased_once_sent(db: Database, settings: Settings) -> None:
    [key] = queue(db, 1, template="otp", params={"code": "123456", "minutes": 5})
    fake = FakeAdapter()
    worker(db, settings, [fake], Clock()).run_once()
    assert "123456" in fake.sent[0].sms
    assert row(db, key).params is None


def test_stopping_gives_back_the_rest_of_the_batch(db: Database, settings: Settings) -> None:
    keys = queue(db, 3)
    fake = FakeAdapter()
    clock = Clock()
    w = worker(db, settings, [fake], clock)
    original = fake.send

    def send_then_stop(message: Any) -> Accepted:
        w.stop()  # SIGTERM arrives while the first message is in hand
        return original(message)

    fake.send = send_then_stop  # type: ignore[method-assign]
    result = w.run_once()
    assert (result.sent, result.released) == (1, 2)
    assert [row(db, k).status for k in keys] == ["sent", "queued", "queued"]
    assert [row(db, k).attempts for k in keys] == [1, 0, 0]


def test_worker_claims_only_its_channels(db: Database, settings: Settings) -> None:
    [sms_key] = queue(db, 1)
    [mail_key] = queue(db, 1, channel=Channel.EMAIL)
    fake = FakeAdapter(Channel.EMAIL)
    worker(db, settings, [fake], Clock()).run_once()
    assert row(db, mail_key).status == Status.SENT
    assert row(db, sms_key).status == Status.QUEUED
    with db.sessionmaker() as session:
        assert session.scalars(select(ChannelState.channel)).all() == ["email"]


def test_a_slow_batch_renews_its_lease(db: Database, settings: Settings) -> None:
    """Sends slower than the lease: the worker renews it, nobody takes the rows over."""
    keys = queue(db, 4)
    clock = Clock()
    fake = FakeAdapter(accepts_idempotency_key=False)
    w = worker(db, settings, [fake], clock, alerts_lease_seconds=10)
    rescuer = worker(db, settings, [fake], clock, name="rescuer", alerts_lease_seconds=10)
    recovered: list[int] = []
    original = fake.send

    def slow(message: Any) -> Accepted:
        clock.advance(4)
        recovered.append(rescuer.housekeeping().dead_unknown)
        return original(message)

    fake.send = slow  # type: ignore[method-assign]
    result = w.run_once()
    assert result.sent == 4
    assert recovered == [0, 0, 0, 0]
    assert all(row(db, k).status == Status.SENT for k in keys)
