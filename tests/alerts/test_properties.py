"""Any sequence of channel outcomes and worker deaths ends one message in exactly one final
state, never sent twice without an idempotency key (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry
from epitrace.alerts.channels.fake import FakeAdapter
from epitrace.alerts.dispatch import OUTCOME_UNKNOWN
from epitrace.alerts.models import Channel, ChannelState, OutboxMessage, Status
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts.outbox import Clock, queue, row, worker

EVENTS = st.sampled_from(["accept", "deliver", "retry", "throttle", "refuse", "crash"])
FINAL = {Status.SENT, Status.DELIVERED, Status.FAILED}


def _outcome(event: str) -> Any:
    return {
        "accept": Accepted(provider_ref="r"),
        "deliver": Accepted(provider_ref="r", delivered=True),
        "retry": Retry("HTTP 503"),
        "throttle": Retry("HTTP 429", after_seconds=5, pause_seconds=5),
        "refuse": Refused("HTTP 400: bad number"),
    }[event]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events=st.lists(EVENTS, max_size=8), idempotent=st.booleans())
def test_one_final_state_never_two_sends_without_a_key(
    db: Database, settings: Settings, events: list[str], idempotent: bool
) -> None:
    with db.session_scope() as session:
        session.execute(delete(OutboxMessage))
        session.execute(delete(ChannelState))
    [key] = queue(db, 1)
    fake = FakeAdapter(accepts_idempotency_key=idempotent)
    clock = Clock()
    tuned = {"alerts_max_attempts": 4, "alerts_retry_base_seconds": 1}
    w = worker(db, settings, [fake], clock, **tuned)
    for event in events:
        if row(db, key).status in FINAL:
            break
        if event == "crash":
            doomed = worker(db, settings, [fake], clock, name="doomed", **tuned)
            for claimed in doomed.claim(Channel.SMS, fake).rows:
                fake.script.insert(0, Accepted())
                fake.send(
                    Outgoing(
                        key=claimed.key,
                        channel=Channel.SMS,
                        template="test",
                        kind="test",
                        locale="vi",
                        title="",
                        body="",
                        sms="",
                        phone=claimed.phone,
                    )
                )
            clock.advance(settings.alerts_lease_seconds + 1)
            w.housekeeping()
            continue
        fake.script.append(_outcome(event))
        w.run_once()
        clock.advance(600)
    for _ in range(20):  # the channel works again: let it settle
        if row(db, key).status in FINAL:
            break
        w.run_once()
        clock.advance(600)
    final = row(db, key)
    assert final.status in FINAL
    assert final.attempts <= 4
    if not idempotent:
        assert fake.deliveries[key] <= 1  # never two sends without a key
    if final.status in (Status.SENT, Status.DELIVERED):
        assert fake.deliveries[key] == 1
    else:
        assert final.dead_reason
        if final.dead_reason == OUTCOME_UNKNOWN:
            assert not idempotent
