"""`alerts.service.enqueue`: one row per recipient and dedup key, the channel each gets, and
what is skipped or deduplicated."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import service as account_service
from epitrace.alerts import service
from epitrace.alerts.models import Channel, Status
from epitrace.alerts.service import Recipient
from epitrace.errors import InvalidInput
from epitrace.security.roles import Role
from tests.alerts import factories as af

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam


def test_person_with_account_gets_sms_and_inbox(session: Session, places: Any) -> None:
    person, account = af.citizen(session, "0912000001")
    result = service.enqueue(
        session,
        recipients=[Recipient.person(person.id)],
        template="test",
        dedup_key="t:1",
        now=NOW,
    )
    assert (result.created, result.duplicates, result.skipped) == (1, 0, 0)
    [row] = af.messages(session)
    assert row.channel == Channel.SMS  # no push subscription: push is not usable
    assert row.status == Status.QUEUED
    assert row.user_id == account.id  # in the inbox too
    assert row.phone == "+84912000001"
    assert row.ward_code == "26743"
    assert row.urgent is True  # the test template is urgent
    assert row.key == result.keys[0]


def test_same_dedup_key_queues_once_whatever_the_channel(session: Session, places: Any) -> None:
    person, account = af.citizen(session, "0912000002")
    first = service.enqueue(
        session,
        recipients=[Recipient.person(person.id), Recipient.user(account.id)],
        template="test",
        dedup_key="campaign:x:1",
        channels=[Channel.SMS],
        now=NOW,
    )
    again = service.enqueue(
        session,
        recipients=[Recipient.phone_number("0912 000 002")],
        template="test",
        dedup_key="campaign:x:1",
        channels=[Channel.OTT],
        now=NOW,
    )
    # the person, their account and their number are one recipient
    assert (first.created, first.duplicates) == (1, 1)
    assert (again.created, again.duplicates) == (0, 1)
    assert len(af.messages(session)) == 1
    other = service.enqueue(
        session,
        recipients=[Recipient.person(person.id)],
        template="test",
        dedup_key="campaign:x:2",
        now=NOW,
    )
    assert other.created == 1


def test_opted_out_number_gets_inbox_only_or_is_skipped(session: Session, places: Any) -> None:
    person, _account = af.citizen(session, "0912000003")
    service.opt_out(session, phone="+84912000003", source="stop")
    service.opt_out(session, phone="+84912000004", source="stop")
    result = service.enqueue(
        session,
        recipients=[Recipient.person(person.id), Recipient.phone_number("0912000004")],
        template="test",
        dedup_key="t:opt",
        channels=[Channel.SMS],
        now=NOW,
    )
    assert (result.created, result.skipped) == (1, 1)
    inbox_row, skipped = af.messages(session)
    assert (inbox_row.channel, inbox_row.status) == (Channel.INBOX, Status.DELIVERED)
    assert (skipped.status, skipped.dead_reason) == (Status.SKIPPED, "opted out")
    # where the caller's policy says so, the opt-out is ignored
    forced = service.enqueue(
        session,
        recipients=[Recipient.phone_number("0912000004")],
        template="test",
        dedup_key="t:forced",
        channels=[Channel.SMS],
        ignore_opt_out=True,
        now=NOW,
    )
    assert forced.created == 1
    assert af.messages(session, group_key="t:forced")[0].channel == Channel.SMS


def test_push_first_with_sms_fallback(session: Session, places: Any) -> None:
    person, account = af.citizen(session, "0912000005")
    service.subscribe_push(
        session,
        user_id=account.id,
        endpoint="https://push.example.invalid/sub/1",
        p256dh="BKey",
        auth="auth",
    )
    service.enqueue(
        session,
        recipients=[Recipient.person(person.id)],
        template="test",
        dedup_key="t:push",
        channels=[Channel.PUSH, Channel.SMS],
        now=NOW,
    )
    [row] = af.messages(session)
    assert (row.channel, row.fallback_channel) == (Channel.PUSH, Channel.SMS)
    # turning push off in the settings sends SMS directly
    service.update_setting(
        session,
        user_id=account.id,
        sms_enabled=True,
        push_enabled=False,
        reminder_start=time(8),
        reminder_end=time(10),
    )
    service.enqueue(
        session,
        recipients=[Recipient.person(person.id)],
        template="test",
        dedup_key="t:push2",
        now=NOW,
    )
    assert af.messages(session, group_key="t:push2")[0].channel == Channel.SMS


def test_dependent_without_phone_is_reached_through_the_guardian(
    session: Session, places: Any
) -> None:
    guardian, account = af.citizen(session, "0912000006")
    child = account_service.add_dependent(
        session, guardian_id=guardian.id, full_name="Lê Bé Na", birth_year=2018, relationship="con"
    )
    service.enqueue(
        session,
        recipients=[Recipient.person(child.id)],
        template="declaration_reminder",
        params={"name": child.full_name, "last": NOW},
        dedup_key="decl:1",
        now=NOW,
    )
    [row] = af.messages(session)
    assert row.person_id == child.id
    assert row.recipient_key == service.person_key(child.id)
    assert row.phone == "+84912000006"
    assert row.user_id == account.id
    assert row.params == {"name": "Lê Bé Na", "last": "10:00 20/11/2026"}


def test_person_without_any_address_is_recorded_as_skipped(session: Session, places: Any) -> None:
    lonely = account_service.create_person(session, full_name="Không Điện Thoại")
    result = service.enqueue(
        session, recipients=[Recipient.person(lonely.id)], template="test", dedup_key="t:n"
    )
    assert (result.created, result.skipped) == (0, 1)
    [row] = af.messages(session)
    assert row.status == Status.SKIPPED
    assert row.dead_reason == "no address for the chosen channels"


def test_staff_get_email_and_inbox(session: Session, places: Any) -> None:
    officer = af.staff(session, "phuong-ben-thanh", "ward_official", "26743")
    af.staff(session, "quan-1-yte", "health_officer", "26743")
    af.staff(session, "tinh-79", "ward_official", "79")
    service.update_setting(
        session,
        user_id=officer.id,
        sms_enabled=True,
        push_enabled=True,
        reminder_start=time(8),
        reminder_end=time(10),
        email="ben.thanh@example.vn",
    )
    recipients = service.staff_of(session, area_code="26743", roles=[Role.WARD_OFFICIAL])
    assert recipients == [Recipient.user(officer.id)]
    service.enqueue(
        session,
        recipients=recipients,
        template="notice",
        params={"title": "Báo cáo quá hạn", "body": "Hãy nộp báo cáo tuần.", "link": "/staff"},
        channels=[Channel.EMAIL],
        dedup_key="report:1",
        now=NOW,
    )
    [row] = af.messages(session)
    assert (row.channel, row.email, row.user_id) == (
        Channel.EMAIL,
        "ben.thanh@example.vn",
        officer.id,
    )
    assert len(service.staff_of(session, area_code="26743")) == 2


def test_reminder_window_sets_the_due_time(session: Session, places: Any) -> None:
    person, account = af.citizen(session, "0912000007")
    service.update_setting(
        session,
        user_id=account.id,
        sms_enabled=True,
        push_enabled=True,
        reminder_start=time(18, 0),
        reminder_end=time(20, 0),
    )
    service.enqueue(
        session,
        recipients=[Recipient.person(person.id)],
        template="symptom_reminder",
        dedup_key="symptom:o:2026-11-20",
        in_reminder_window=True,
        now=NOW,
    )
    [row] = af.messages(session)
    assert localtime.to_local(row.due_at).strftime("%Y-%m-%d %H:%M") == "2026-11-20 18:00"
    assert service.cancel(session, dedup_key="symptom:o:2026-11-20") == 1
    session.refresh(row)
    assert row.status == Status.CANCELLED


def test_bad_calls_are_refused(session: Session, places: Any) -> None:
    person, _ = af.citizen(session, "0912000008")
    with pytest.raises(InvalidInput):
        service.enqueue(
            session, recipients=[Recipient.person(person.id)], template="nope", dedup_key="k"
        )
    with pytest.raises(InvalidInput):  # a required parameter is missing
        service.enqueue(
            session,
            recipients=[Recipient.person(person.id)],
            template="venue_alert",
            params={"venue": "Chợ"},
            dedup_key="k",
        )
    with pytest.raises(InvalidInput):
        service.enqueue(
            session, recipients=[Recipient.person(person.id)], template="test", dedup_key=""
        )
    with pytest.raises(InvalidInput):
        Recipient.phone_number("12345")
    assert af.messages(session) == []


def test_default_lifetime(session: Session, places: Any) -> None:
    person, _ = af.citizen(session, "0912000009")
    service.enqueue(
        session, recipients=[Recipient.person(person.id)], template="test", dedup_key="k", now=NOW
    )
    [row] = af.messages(session)
    assert row.expires_at == NOW + timedelta(days=3)
    assert row.due_at == NOW
