"""Cases, tests, quarantine orders, follow-up and breaches: every rule of the cases domain.

Functions take the session keyword-first, `flush()` and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    delete,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts.models import Person
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.cases.models import (
    BreachStatus,
    Case,
    CaseStatus,
    FollowUp,
    FollowUpOutcome,
    LabTest,
    QuarantineBreach,
    QuarantineKind,
    QuarantineOrder,
    QuarantineStatus,
    TestResult,
    TestType,
)
from epitrace.checkins.models import Presence
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.security.roles import Role
from epitrace.tracing import policy_store
from epitrace.tracing.models import ContactLink
from epitrace.venues.models import Venue, VenueCategory
from epitrace.web import fields


@dataclass(frozen=True)
class StatusFacts:
    """What the cases and tracing domains know about a person, for the pass colour."""

    is_case: bool
    contact_level: int | None  # 1 (F1) or 2 (F2) within the policy's contact period
    in_quarantine: bool
    recovered_at: datetime | None


def get_status_facts(
    session: Session, *, person_id: uuid.UUID, as_of: datetime | None = None
) -> StatusFacts:
    """The facts that decide a person's declaration colour (red: case or quarantine...)."""
    now = as_of or utcnow()
    is_case = bool(
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.person_id == person_id, Case.status == CaseStatus.ACTIVE)
        )
    )
    recovered_at = session.scalar(
        select(func.max(Case.recovered_at)).where(
            Case.person_id == person_id, Case.status == CaseStatus.RECOVERED
        )
    )
    in_quarantine = bool(
        session.scalar(
            select(func.count())
            .select_from(QuarantineOrder)
            .where(
                QuarantineOrder.person_id == person_id,
                QuarantineOrder.status == QuarantineStatus.ACTIVE,
                QuarantineOrder.starts_at <= now,
                QuarantineOrder.ends_at > now,
            )
        )
    )
    days = policy_store.current_days(session)
    level = session.scalar(
        select(func.min(ContactLink.level)).where(
            ContactLink.person_id == person_id,
            ContactLink.exposed_at > now - timedelta(days=days),
        )
    )
    return StatusFacts(
        is_case=is_case,
        contact_level=int(level) if level is not None else None,
        in_quarantine=in_quarantine,
        recovered_at=recovered_at,
    )


# -- people ---------------------------------------------------------------------------------


def get_person_or_404(session: Session, *, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(N_("This person does not exist."))
    return person


def _check_dates(**values: datetime | None) -> None:
    """Medical times outside the deployment's range (see `web.fields`) are refused by name."""
    wrong = {
        name: fields.OUT_OF_RANGE
        for name, value in values.items()
        if value is not None and not fields.datetime_in_range(value)
    }
    if wrong:
        raise InvalidInput(
            fields.DATE_RANGE_MESSAGE, params=fields.medical_range_params(), fields=wrong
        )


def person_ward(session: Session, *, person: Person) -> str | None:
    """The ward a person belongs to for permission checks, from what is stored about them.

    Their home ward; else the ward of their latest case; else the ward of their latest
    quarantine order; None when the health system has no area for them yet. Never a ward
    sent in a request (see `cases.access.for_person`).
    """
    if person.ward_code:
        return person.ward_code
    case_ward = session.scalar(
        select(Case.ward_code)
        .where(Case.person_id == person.id)
        .order_by(Case.confirmed_at.desc())
        .limit(1)
    )
    if case_ward:
        return case_ward
    return session.scalar(
        select(QuarantineOrder.ward_code)
        .where(QuarantineOrder.person_id == person.id)
        .order_by(QuarantineOrder.starts_at.desc())
        .limit(1)
    )


def ward_exists(session: Session, code: str) -> bool:
    return place_service.get(session, code=code) is not None


def _ward_or_invalid(session: Session, code: str | None) -> str:
    if not code or place_service.get(session, code=code) is None:
        raise InvalidInput(
            N_("Choose an existing ward."), fields={"ward_code": N_("Choose an existing ward.")}
        )
    return code


def new_person(
    session: Session,
    *,
    full_name: str,
    ward_code: str,
    phone: str | None = None,
    id_number: str | None = None,
    birth_year: int | None = None,
    address: str | None = None,
) -> Person:
    """A person the health officer registers (someone without an account).

    `phone` and `id_number` are stored as given: callers normalise them (`people.service`).
    """
    name = " ".join(full_name.split())
    if not name:
        raise InvalidInput(
            N_("Enter the full name."), fields={"full_name": N_("Enter the full name.")}
        )
    year_problem = fields.birth_year_problem(birth_year) if birth_year is not None else None
    if year_problem is not None:
        raise InvalidInput(
            fields.YEAR_RANGE_MESSAGE,
            params=year_problem,
            fields={"birth_year": fields.OUT_OF_RANGE},
        )
    person = Person(
        full_name=name,
        ward_code=_ward_or_invalid(session, ward_code),
        phone=phone or None,
        id_number=id_number or None,
        birth_year=birth_year,
        address=address or None,
    )
    session.add(person)
    session.flush()
    return person


# -- cases ----------------------------------------------------------------------------------


def get_or_404(session: Session, *, case_id: uuid.UUID) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(N_("This case does not exist."))
    return case


def get_all(session: Session, *, area_paths: Sequence[str | None], limit: int = 200) -> list[Case]:
    """Cases in the given areas (None = everywhere), newest first."""
    stmt = select(Case)
    if None not in area_paths:
        conditions = [place_service.within_area(Case.ward_code, p) for p in area_paths]
        if not conditions:
            return []
        stmt = stmt.where(_or(conditions))
    return list(session.scalars(stmt.order_by(Case.confirmed_at.desc()).limit(limit)))


def _or(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions)


def create_case(
    session: Session,
    *,
    person: Person,
    ward_code: str | None,
    test_type: TestType,
    sampled_at: datetime,
    onset_at: datetime | None,
    isolated_at: datetime | None,
    isolation_place: str = "",
    notes: str = "",
    created_by: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Case:
    """Register a confirmed case (F0); refused when the person is already an active case."""
    now = now or utcnow()
    _check_dates(sampled_at=sampled_at, onset_at=onset_at, isolated_at=isolated_at)
    ward = _ward_or_invalid(session, ward_code or person.ward_code)
    errors: dict[str, str] = {}
    if sampled_at > now + timedelta(minutes=5):
        errors["sampled_at"] = N_("The test date cannot be in the future.")
    if onset_at is not None and onset_at > now + timedelta(minutes=5):
        errors["onset_at"] = N_("Symptom onset cannot be in the future.")
    if onset_at is not None and onset_at > sampled_at + timedelta(days=30):
        errors["onset_at"] = N_("Symptom onset is long after the test; check the dates.")
    if isolated_at is not None and isolated_at < sampled_at - timedelta(days=30):
        errors["isolated_at"] = N_("Isolation is long before the test; check the dates.")
    if errors:
        raise InvalidInput(N_("Check the highlighted fields."), fields=errors)
    active = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.person_id == person.id, Case.status == CaseStatus.ACTIVE)
    )
    if active:
        raise Conflict(N_("This person is already an active case."))
    case = Case(
        person_id=person.id,
        ward_code=ward,
        test_type=test_type,
        sampled_at=sampled_at,
        confirmed_at=now,
        onset_at=onset_at,
        isolated_at=isolated_at,
        isolation_place=isolation_place.strip(),
        notes=notes.strip(),
        created_by=created_by,
    )
    session.add(case)
    session.flush()
    return case


def set_recovered(session: Session, *, case: Case, at: datetime) -> Case:
    if case.status is not CaseStatus.ACTIVE:
        raise Conflict(N_("Only an active case can recover."))
    case.status = CaseStatus.RECOVERED
    case.recovered_at = at
    session.flush()
    return case


def record_test(
    session: Session,
    *,
    person: Person,
    test_type: TestType,
    sampled_at: datetime,
    result: TestResult,
    promote: bool = False,
    ward_code: str | None = None,
    recorded_by: uuid.UUID | None = None,
    now: datetime | None = None,
) -> LabTest:
    """Record a test; a positive PCR with `promote` registers the person as a case."""
    now = now or utcnow()
    _check_dates(sampled_at=sampled_at)
    if sampled_at > now + timedelta(minutes=5):
        raise InvalidInput(
            N_("The test date cannot be in the future."),
            fields={"sampled_at": N_("The test date cannot be in the future.")},
        )
    if promote and not (test_type is TestType.PCR and result is TestResult.POSITIVE):
        raise InvalidInput(N_("Only a positive PCR test can confirm a case."))
    test = LabTest(
        person_id=person.id,
        test_type=test_type,
        sampled_at=sampled_at,
        result=result,
        recorded_by=recorded_by,
    )
    session.add(test)
    if promote:
        case = create_case(
            session,
            person=person,
            ward_code=ward_code,
            test_type=TestType.PCR,
            sampled_at=sampled_at,
            onset_at=None,
            isolated_at=None,
            created_by=recorded_by,
            now=now,
        )
        test.case_id = case.id
    session.flush()
    return test


def tests_of(session: Session, *, person_id: uuid.UUID) -> list[LabTest]:
    stmt = select(LabTest).where(LabTest.person_id == person_id)
    return list(session.scalars(stmt.order_by(LabTest.sampled_at.desc())))


# -- quarantine -----------------------------------------------------------------------------


def local_day(at: datetime) -> date:
    return localtime.local_date(at)


def issue_order(
    session: Session,
    *,
    person: Person,
    reason: str,
    kind: QuarantineKind,
    ward_code: str | None,
    starts_at: datetime,
    facility_name: str = "",
    case_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
) -> QuarantineOrder:
    """An order for F0/F1/F2: end date and test days follow the policy in force."""
    if reason not in ("f0", "f1", "f2"):
        raise InvalidInput(
            N_("The reason must be F0, F1 or F2."), fields={"reason": N_("Choose F0, F1 or F2.")}
        )
    _check_dates(starts_at=starts_at)
    if kind is QuarantineKind.FACILITY and not facility_name.strip():
        raise InvalidInput(
            N_("Name the quarantine facility."),
            fields={"facility_name": N_("Name the quarantine facility.")},
        )
    ward = _ward_or_invalid(session, ward_code or person.ward_code)
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None or case.person_id != person.id:
            raise InvalidInput(
                N_("The case named is not this person's."),
                fields={"case_id": N_("The case named is not this person's.")},
            )
    existing = session.scalar(
        select(func.count())
        .select_from(QuarantineOrder)
        .where(
            QuarantineOrder.person_id == person.id,
            QuarantineOrder.status == QuarantineStatus.ACTIVE,
            QuarantineOrder.ends_at > starts_at,
        )
    )
    if existing:
        raise Conflict(N_("This person already has an active quarantine order."))
    policy = policy_store.current(session)
    days = {"f0": policy.quarantine_days_f0, "f1": policy.quarantine_days_f1}.get(
        reason, policy.quarantine_days_f2
    )
    test_days = policy.test_days_f0 if reason == "f0" else policy.test_days_f1
    first = local_day(starts_at)
    order = QuarantineOrder(
        person_id=person.id,
        case_id=case_id,
        reason=reason,
        kind=kind,
        ward_code=ward,
        facility_name=facility_name.strip(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
        test_days=[(first + timedelta(days=d - 1)).isoformat() for d in test_days if d <= days],
        created_by=created_by,
    )
    session.add(order)
    session.flush()
    return order


def get_order_or_404(session: Session, *, order_id: uuid.UUID) -> QuarantineOrder:
    order = session.get(QuarantineOrder, order_id)
    if order is None:
        raise NotFound(N_("This quarantine order does not exist."))
    return order


def active_orders(
    session: Session,
    *,
    area_paths: Sequence[str | None],
    now: datetime,
    ward_code: str | None = None,
) -> list[QuarantineOrder]:
    stmt = select(QuarantineOrder).where(
        QuarantineOrder.status == QuarantineStatus.ACTIVE,
        QuarantineOrder.starts_at <= now,
        QuarantineOrder.ends_at > now,
    )
    if None not in area_paths:
        if not area_paths:
            return []
        stmt = stmt.where(
            _or([place_service.within_area(QuarantineOrder.ward_code, p) for p in area_paths])
        )
    if ward_code:
        stmt = stmt.where(QuarantineOrder.ward_code == ward_code)
    return list(
        session.scalars(stmt.order_by(QuarantineOrder.ward_code, QuarantineOrder.starts_at))
    )


def active_order_of(
    session: Session, *, person_id: uuid.UUID, now: datetime
) -> QuarantineOrder | None:
    return session.scalars(
        select(QuarantineOrder)
        .where(
            QuarantineOrder.person_id == person_id,
            QuarantineOrder.status == QuarantineStatus.ACTIVE,
            QuarantineOrder.starts_at <= now,
            QuarantineOrder.ends_at > now,
        )
        .limit(1)
    ).first()


def under_order(
    person_id: SQLColumnExpression[uuid.UUID], at: datetime | ColumnElement[datetime]
) -> ColumnElement[bool]:
    """Whether the person has a running quarantine order at `at`, as an expression over a
    person id column, for a statement that reads the person anyway (the check-in flow asks
    it with the lock on the people). Without one, `check_quarantine_breach` of a presence
    that began at `at` finds nothing: it need not be asked. `at` may be a bound parameter
    (a statement built once)."""
    return (
        select(QuarantineOrder.id)
        .where(
            QuarantineOrder.person_id == person_id,
            QuarantineOrder.status == QuarantineStatus.ACTIVE,
            QuarantineOrder.starts_at <= at,
            QuarantineOrder.ends_at > at,
        )
        .exists()
    )


SELF_OUTCOMES = (FollowUpOutcome.REPORTED_WELL, FollowUpOutcome.REPORTED_SYMPTOMS)
VISIT_OUTCOMES = (FollowUpOutcome.SEEN_WELL, FollowUpOutcome.SEEN_UNWELL, FollowUpOutcome.MISSED)


def record_follow_up(
    session: Session,
    *,
    order: QuarantineOrder,
    source: str,
    outcome: FollowUpOutcome,
    at: datetime,
    temperature: float | None = None,
    symptoms: str = "",
    recorded_by: uuid.UUID | None = None,
) -> FollowUp:
    """Today's self-report or visit; a second one of the same kind today replaces the first."""
    allowed = SELF_OUTCOMES if source == "self" else VISIT_OUTCOMES
    if source not in ("self", "visit") or outcome not in allowed:
        raise InvalidInput(N_("This outcome does not fit the kind of follow-up."))
    if not (order.starts_at <= at < order.ends_at) or order.status is not QuarantineStatus.ACTIVE:
        raise Conflict(N_("The quarantine order is not running today."))
    if temperature is not None and not 30 <= temperature <= 45:
        raise InvalidInput(
            N_("Enter a body temperature between 30 and 45 °C."),
            fields={"temperature": N_("Enter a body temperature between 30 and 45 °C.")},
        )
    day = local_day(at)
    entry = session.scalars(
        select(FollowUp).where(
            FollowUp.order_id == order.id, FollowUp.day == day, FollowUp.source == source
        )
    ).first()
    if entry is None:
        entry = FollowUp(order_id=order.id, day=day, source=source)
        session.add(entry)
    entry.outcome = outcome
    entry.temperature = temperature
    entry.symptoms = symptoms.strip()[:500]
    entry.recorded_by = recorded_by
    session.flush()
    return entry


def follow_ups_of(session: Session, *, order_id: uuid.UUID) -> list[FollowUp]:
    stmt = select(FollowUp).where(FollowUp.order_id == order_id)
    return list(session.scalars(stmt.order_by(FollowUp.day.desc(), FollowUp.source)))


def not_reported_today(
    session: Session, *, orders: Sequence[QuarantineOrder], now: datetime
) -> list[QuarantineOrder]:
    """Orders with neither a self-report nor a visit (other than "missed") today."""
    if not orders:
        return []
    day = local_day(now)
    done = set(
        session.scalars(
            select(FollowUp.order_id).where(
                FollowUp.order_id.in_([o.id for o in orders]),
                FollowUp.day == day,
                FollowUp.outcome != FollowUpOutcome.MISSED,
            )
        )
    )
    return [o for o in orders if o.id not in done]


def tests_due(orders: Sequence[QuarantineOrder], *, now: datetime) -> list[QuarantineOrder]:
    today = local_day(now).isoformat()
    return [o for o in orders if today in (o.test_days or [])]


# -- breaches -------------------------------------------------------------------------------

# Venues a person under home quarantine may still visit inside their home ward.
ALLOWED_IN_HOME_WARD = frozenset({VenueCategory.HOSPITAL_CLINIC, VenueCategory.QUARANTINE_FACILITY})


def check_quarantine_breach(session: Session, *, presence: Presence) -> QuarantineBreach | None:
    """Record a breach when someone under home quarantine checked in where they may not.

    Allowed: health facilities and quarantine facilities of their home ward. The presence must
    already be written: the breach points to it (the check-in flow, `checkins.flows`, writes
    the presence first). Idempotent (one breach per presence), so the check-in flow and the
    scan job may both call it; returns the new breach, if any.
    """
    if presence.person_id is None:
        return None
    if not inspect(presence).persistent:
        raise ValueError("write the presence before checking it for a breach")
    order = active_order_of(session, person_id=presence.person_id, now=presence.entered_at)
    if order is None or order.kind is not QuarantineKind.HOME:
        return None
    venue = session.get(Venue, presence.venue_id)
    if venue is None:
        return None
    if venue.ward_code == order.ward_code and venue.category in ALLOWED_IN_HOME_WARD:
        return None
    stored = session.scalar(
        select(func.count())
        .select_from(QuarantineBreach)
        .where(QuarantineBreach.presence_id == presence.id)
    )
    if stored:
        return None
    breach = QuarantineBreach(
        order_id=order.id,
        presence_id=presence.id,
        venue_id=venue.id,
        ward_code=order.ward_code,
        entered_at=presence.entered_at,
    )
    session.add(breach)
    session.flush()
    _alert_breach(session, breach=breach, order=order, venue=venue)
    return breach


def _alert_breach(
    session: Session, *, breach: QuarantineBreach, order: QuarantineOrder, venue: Venue
) -> None:
    """Queue the alert to the health officers of the order's ward and of every unit above it."""
    units = [
        order.ward_code,
        *(u.code for u in place_service.get_ancestors(session, code=order.ward_code)),
    ]
    recipients = [
        recipient
        for code in units
        for recipient in alert_service.staff_of(
            session, area_code=code, roles=[Role.HEALTH_OFFICER]
        )
    ]
    if not recipients:
        return
    person = session.get(Person, order.person_id)
    ward = place_service.get(session, code=order.ward_code)
    alert_service.enqueue(
        session,
        recipients=recipients,
        template="quarantine_breach",
        params={
            "name": person.full_name if person else "",
            "ward": ward.name if ward else order.ward_code,
            "venue": venue.name,
            "at": breach.entered_at,
        },
        channels=(Channel.PUSH, Channel.EMAIL),
        dedup_key=f"breach:{breach.id}",
    )


def scan_breaches(session: Session, *, since: datetime, now: datetime | None = None) -> int:
    """Check every presence since `since` of people under home quarantine; returns new breaches."""
    now = now or utcnow()
    before = session.scalar(select(func.count()).select_from(QuarantineBreach)) or 0
    stmt = (
        select(Presence)
        .join(QuarantineOrder, QuarantineOrder.person_id == Presence.person_id)
        .where(
            Presence.entered_at >= since,
            Presence.entered_at <= now,
            QuarantineOrder.kind == QuarantineKind.HOME,
            QuarantineOrder.status == QuarantineStatus.ACTIVE,
            QuarantineOrder.starts_at <= Presence.entered_at,
            QuarantineOrder.ends_at > Presence.entered_at,
        )
    )
    for presence in session.scalars(stmt).unique():
        check_quarantine_breach(session, presence=presence)
    session.flush()
    after = session.scalar(select(func.count()).select_from(QuarantineBreach)) or 0
    return after - before


@dataclass(frozen=True)
class BreachRow:
    """A breach with who and where, as health officers read it."""

    breach: QuarantineBreach
    full_name: str
    phone: str | None
    venue_name: str


def breach_rows(
    session: Session, *, area_paths: Sequence[str | None], status: BreachStatus | None = None
) -> list[BreachRow]:
    """Breaches of the given areas, newest first, with the person's and the venue's names."""
    found = breaches(session, area_paths=area_paths, status=status)
    if not found:
        return []
    order_ids = {b.order_id for b in found}
    people = {
        order_id: (name, phone)
        for order_id, name, phone in session.execute(
            select(QuarantineOrder.id, Person.full_name, Person.phone)
            .join(Person, Person.id == QuarantineOrder.person_id)
            .where(QuarantineOrder.id.in_(order_ids))
        )
    }
    venues = dict(
        session.execute(
            select(Venue.id, Venue.name).where(Venue.id.in_({b.venue_id for b in found}))
        ).all()
    )
    return [
        BreachRow(
            breach=b,
            full_name=people.get(b.order_id, ("", None))[0],
            phone=people.get(b.order_id, ("", None))[1],
            venue_name=venues.get(b.venue_id, ""),
        )
        for b in found
    ]


def breaches(
    session: Session, *, area_paths: Sequence[str | None], status: BreachStatus | None = None
) -> list[QuarantineBreach]:
    stmt = select(QuarantineBreach)
    if None not in area_paths:
        if not area_paths:
            return []
        stmt = stmt.where(
            _or([place_service.within_area(QuarantineBreach.ward_code, p) for p in area_paths])
        )
    if status is not None:
        stmt = stmt.where(QuarantineBreach.status == status)
    return list(session.scalars(stmt.order_by(QuarantineBreach.entered_at.desc()).limit(500)))


def count_active_cases(session: Session, *, area_paths: Sequence[str | None]) -> int:
    """Cases under treatment or isolation in these areas."""
    stmt = select(func.count()).where(
        Case.status == CaseStatus.ACTIVE, place_service.within_areas(Case.ward_code, area_paths)
    )
    return int(session.scalar(stmt) or 0)


def count_active_orders(
    session: Session, *, area_paths: Sequence[str | None], now: datetime
) -> int:
    """People whose isolation or quarantine order runs now (F0, F1, F2 under follow-up)."""
    stmt = select(func.count()).where(
        QuarantineOrder.status == QuarantineStatus.ACTIVE,
        QuarantineOrder.starts_at <= now,
        QuarantineOrder.ends_at > now,
        place_service.within_areas(QuarantineOrder.ward_code, area_paths),
    )
    return int(session.scalar(stmt) or 0)


def delete_breaches_of(
    session: Session, presence_ids: Select[Any], entered_before: datetime
) -> int:
    """Forget the breaches recorded on presences the check-in purge removes (`presence_ids`,
    all entered before `entered_before`, as a breach's copy of the entry time is)."""
    result = session.execute(
        delete(QuarantineBreach)
        .where(
            QuarantineBreach.entered_at < entered_before,
            QuarantineBreach.presence_id.in_(presence_ids),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- erasure on request (mydata) ------------------------------------------------------------


@dataclass(frozen=True)
class HealthRecords:
    """What the health records hold about some people, for their own copy of their data."""

    cases: list[Case]
    tests: list[LabTest]
    orders: list[QuarantineOrder]
    follow_ups: list[FollowUp]


def records_of(session: Session, *, person_ids: Sequence[uuid.UUID]) -> HealthRecords:
    if not person_ids:
        return HealthRecords([], [], [], [])
    cases = session.scalars(
        select(Case).where(Case.person_id.in_(person_ids)).order_by(Case.confirmed_at.desc())
    ).all()
    tests = session.scalars(
        select(LabTest).where(LabTest.person_id.in_(person_ids)).order_by(LabTest.sampled_at.desc())
    ).all()
    orders = session.scalars(
        select(QuarantineOrder)
        .where(QuarantineOrder.person_id.in_(person_ids))
        .order_by(QuarantineOrder.starts_at.desc())
    ).all()
    follow_ups = session.scalars(
        select(FollowUp)
        .where(FollowUp.order_id.in_([o.id for o in orders]))
        .order_by(FollowUp.day.desc())
    ).all()
    return HealthRecords(list(cases), list(tests), list(orders), list(follow_ups))


@dataclass(frozen=True)
class ErasureHold:
    """Why the health records still need someone's data, and until when (None: unknown)."""

    reason: str  # "active_case" | "pending_test" | "quarantine"
    until: datetime | None


def erasure_holds(
    session: Session, *, person_ids: Sequence[uuid.UUID], now: datetime
) -> list[ErasureHold]:
    """An active case, a test without a result, a quarantine order not yet over."""
    records = records_of(session, person_ids=person_ids)
    holds = []
    if any(c.status is CaseStatus.ACTIVE for c in records.cases):
        holds.append(ErasureHold("active_case", None))
    if any(t.result is TestResult.PENDING for t in records.tests):
        holds.append(ErasureHold("pending_test", None))
    running = [
        o.ends_at for o in records.orders if o.status is QuarantineStatus.ACTIVE and o.ends_at > now
    ]
    if running:
        holds.append(ErasureHold("quarantine", max(running)))
    return holds


def has_health_records(session: Session, *, person_id: uuid.UUID) -> bool:
    """Whether a case, test or order (kept under the health records law) names the person."""
    for model in (Case, LabTest, QuarantineOrder):
        found = session.scalar(select(model.id).where(model.person_id == person_id).limit(1))
        if found is not None:
            return True
    return False
