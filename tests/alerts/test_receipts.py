"""Receipts and replies through the adapters' sink, and the set-based enqueue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from epitrace.accounts.models import Person
from epitrace.alerts import receipts
from epitrace.alerts import service as alert_service
from epitrace.alerts.channels import Accepted
from epitrace.alerts.channels.fake import FakeAdapter
from epitrace.alerts.dispatch import Dispatcher
from epitrace.alerts.models import Channel, InboundSms, OutboxMessage, Status
from epitrace.alerts.receipts import OutboxSink
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts import factories as af
from tests.alerts.outbox import NOW, Clock, queue, row


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("STOP", "opt_out"),
        ("  hủy ", "opt_out"),
        ("HUY DK", "opt_out"),
        ("Từ chối", "opt_out"),
        ("tu choi", "opt_out"),
        ("Start", "opt_in"),
        ("STOPPED", "ignored"),
        ("cảm ơn", "ignored"),
    ],
)
def test_reply_keywords(text: str, action: str) -> None:
    assert receipts.classify(text) == action


def test_sink_receipt_and_reply(db: Database, settings: Settings) -> None:
    [key] = queue(db, 1)
    sink = OutboxSink(db)
    fake = FakeAdapter(script=[Accepted(provider_ref="smsc-1")])
    Dispatcher(db, settings, {Channel.SMS: fake}, clock=Clock(), early_receipts=sink).run_once()
    sink.receipt(Channel.SMS, "smsc-1", delivered=True, reason="")
    assert row(db, key).status == Status.DELIVERED
    sink.inbound(Channel.SMS, "+84912000777", "STOP")
    sink.inbound(Channel.SMS, "not a number", "STOP")
    with db.sessionmaker() as session:
        assert alert_service.is_opted_out(session, phone="+84912000777")
        actions = sorted(session.scalars(select(InboundSms.action)))
    assert actions == ["ignored", "opt_out"]


def test_receipt_before_the_send_is_recorded(db: Database, settings: Settings) -> None:
    """A fast SMSC reports delivery before the worker's commit: applied when recorded."""
    [key] = queue(db, 1)
    sink = OutboxSink(db)

    class Fast(FakeAdapter):
        def send(self, message: object) -> Accepted:
            accepted = super().send(message)  # type: ignore[arg-type]
            sink.receipt(Channel.SMS, "smsc-9", delivered=False, reason="absent subscriber")
            return accepted

    fast = Fast(script=[Accepted(provider_ref="smsc-9")])
    Dispatcher(db, settings, {Channel.SMS: fast}, clock=Clock(), early_receipts=sink).run_once()
    dead = row(db, key)
    assert (dead.status, dead.dead_reason) == (Status.FAILED, "receipt: absent subscriber")
    assert sink.take(Channel.SMS, "smsc-9") is None


def test_enqueue_select_reaches_a_whole_audience(db: Database, places: object) -> None:
    with db.session_scope() as session:
        people = [alert_service_person(session, f"09130{i:05d}", ward="26743") for i in range(5)]
        no_phone = alert_service_person(session, None, ward="26743")
        _person, account = af.citizen(session, "0913099999", ward="26743")
        alert_service.opt_out(session, phone="+84913000001", source="stop")
        alert_service.update_setting(
            session,
            user_id=account.id,
            sms_enabled=False,
            push_enabled=True,
            reminder_start=af_time(8),
            reminder_end=af_time(10),
        )
        audience = alert_service.people_source(select(Person.id).where(Person.ward_code == "26743"))
        count = alert_service.enqueue_select(
            session,
            source=audience,
            template="test",
            dedup_key="campaign:c1",
            channel=Channel.SMS,
            now=NOW,
        )
        again = alert_service.enqueue_select(
            session, source=audience, template="test", dedup_key="campaign:c1", channel="sms"
        )
    assert (count, again) == (7, 0)
    with db.sessionmaker() as session:
        got = {m.person_id: m for m in session.scalars(select(OutboxMessage))}
    assert got[no_phone].status == Status.SKIPPED  # no phone, no account: recorded, never sent
    assert got[people[0]].status == Status.QUEUED
    assert got[people[0]].recipient_key == alert_service.person_key(people[0])
    assert got[people[0]].phone == "+84913000000"
    assert got[people[0]].expires_at is not None
    assert got[people[1]].status == Status.SKIPPED  # opted out
    assert got[people[1]].dead_reason == "opted out"
    # turned SMS off: the account's inbox has it instead
    assert (got[_person.id].channel, got[_person.id].status) == ("inbox", Status.DELIVERED)
    assert got[_person.id].user_id == account.id
    # the rows are sendable: keys are distinct and the worker renders them
    assert len({m.key for m in got.values()}) == 7


def alert_service_person(session: object, phone: str | None, ward: str) -> object:
    from epitrace.accounts import service as account_service

    person = account_service.create_person(
        session,  # type: ignore[arg-type]
        full_name="Trần Văn Bình",
        phone=phone,
        ward_code=ward,
    )
    return person.id


def af_time(hour: int) -> object:
    from datetime import time

    return time(hour, 0)
