"""Quarantine orders, daily follow-up, breaches and the status facts for pass colours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.cases import service
from epitrace.cases.models import FollowUpOutcome, QuarantineBreach, QuarantineKind
from epitrace.checkins.models import Presence
from epitrace.errors import Conflict, InvalidInput
from epitrace.tracing.engine import trace_case
from epitrace.tracing.policy import DEFAULT_POLICY
from epitrace.venues.models import VenueCategory
from tests.tracing import factories as f

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam


def test_order_follows_policy_and_lists(session: Session, places: Any) -> None:
    person = f.person(session, "Hồ Văn Nam")
    order = service.issue_order(
        session,
        person=person,
        reason="f1",
        kind=QuarantineKind.HOME,
        ward_code=None,
        starts_at=NOW - timedelta(days=6),
    )
    assert order.ends_at - order.starts_at == timedelta(days=14)
    assert order.test_days == ["2026-11-14", "2026-11-20", "2026-11-27"]
    with pytest.raises(Conflict):
        service.issue_order(
            session,
            person=person,
            reason="f1",
            kind=QuarantineKind.HOME,
            ward_code=None,
            starts_at=NOW,
        )
    with pytest.raises(InvalidInput):
        service.issue_order(
            session,
            person=f.person(session),
            reason="f1",
            kind=QuarantineKind.FACILITY,
            ward_code=None,
            starts_at=NOW,
        )
    orders = service.active_orders(session, area_paths=[None], now=NOW)
    assert orders == [order]
    assert service.not_reported_today(session, orders=orders, now=NOW) == [order]
    assert service.tests_due(orders, now=NOW) == [order]
    service.record_follow_up(
        session, order=order, source="visit", outcome=FollowUpOutcome.MISSED, at=NOW
    )
    assert service.not_reported_today(session, orders=orders, now=NOW) == [order]
    service.record_follow_up(
        session,
        order=order,
        source="self",
        outcome=FollowUpOutcome.REPORTED_WELL,
        at=NOW,
        temperature=36.8,
    )
    assert service.not_reported_today(session, orders=orders, now=NOW) == []
    with pytest.raises(InvalidInput):
        service.record_follow_up(
            session, order=order, source="self", outcome=FollowUpOutcome.SEEN_WELL, at=NOW
        )
    with pytest.raises(InvalidInput):
        service.record_follow_up(
            session,
            order=order,
            source="self",
            outcome=FollowUpOutcome.REPORTED_WELL,
            at=NOW,
            temperature=48,
        )
    with pytest.raises(Conflict):
        service.record_follow_up(
            session,
            order=order,
            source="self",
            outcome=FollowUpOutcome.REPORTED_WELL,
            at=NOW + timedelta(days=30),
        )
    facts = service.get_status_facts(session, person_id=person.id, as_of=NOW)
    assert facts.in_quarantine and not facts.is_case


def test_breach_on_check_in_and_by_scan(session: Session, places: Any) -> None:
    person = f.person(session, "Mai Thị Lan")
    service.issue_order(
        session,
        person=person,
        reason="f1",
        kind=QuarantineKind.HOME,
        ward_code="26743",
        starts_at=f.T0,
    )
    clinic = f.venue(session, category=VenueCategory.HOSPITAL_CLINIC, name="Trạm y tế")
    market = f.venue(session, name="Chợ")
    far_clinic = f.venue(session, category=VenueCategory.HOSPITAL_CLINIC, ward="26734")
    allowed = f.presence(session, venue=clinic, who=person, start=60, end=90)
    service.check_quarantine_breach(session, presence=allowed)
    count = select(func.count()).select_from(QuarantineBreach)
    assert session.scalar(count) == 0
    for venue in (market, far_clinic):
        p = f.presence(session, venue=venue, who=person, start=120, end=150)
        service.check_quarantine_breach(session, presence=p)
        service.check_quarantine_breach(session, presence=p)
    session.flush()
    assert session.scalar(count) == 2
    # the breach points to the presence: a presence not yet written is a programming error
    unwritten = Presence(
        venue_id=market.id, ward_code="26743", person_id=person.id, entered_at=f.at(160)
    )
    session.add(unwritten)
    with pytest.raises(ValueError, match="write the presence"):
        service.check_quarantine_breach(session, presence=unwritten)
    session.expunge(unwritten)
    # presences nobody checked at the time are found by the scan, once
    f.presence(session, venue=market, who=person, start=200, end=230)
    assert service.scan_breaches(session, since=f.T0, now=f.at(300)) == 1
    assert service.scan_breaches(session, since=f.T0, now=f.at(300)) == 0
    assert len(service.breaches(session, area_paths=[None])) == 3


def test_status_facts_case_and_contact(session: Session, places: Any) -> None:
    f0, contact = f.person(session), f.person(session, "Bùi Văn Hải")
    market = f.venue(session)
    f.presence(session, venue=market, who=f0, start=60, end=120)
    f.presence(session, venue=market, who=contact, start=60, end=120)
    case = f.case(session, who=f0, sampled=24 * 60)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=f.at(2 * 24 * 60))
    when = f.at(3 * 24 * 60)
    assert service.get_status_facts(session, person_id=f0.id, as_of=when).is_case
    facts = service.get_status_facts(session, person_id=contact.id, as_of=when)
    assert facts.contact_level == 1 and not facts.is_case
    later = service.get_status_facts(session, person_id=contact.id, as_of=f.at(20 * 24 * 60))
    assert later.contact_level is None
    service.set_recovered(session, case=case, at=when)
    recovered = service.get_status_facts(session, person_id=f0.id, as_of=when)
    assert not recovered.is_case and recovered.recovered_at == when
