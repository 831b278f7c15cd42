"""Tracing services: run a trace, list contacts (with or without identities), clusters,
hotspot venues and ward risk levels. Functions flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases.models import Case, CaseStatus
from epitrace.checkins.models import ManualVisitor, Presence
from epitrace.db import affected
from epitrace.errors import N_, Conflict
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.tracing import policy_store
from epitrace.tracing.engine import TraceOutcome, trace_case
from epitrace.tracing.models import ContactLink, Trace
from epitrace.tracing.policy import Policy
from epitrace.venues.models import Venue

ESCROW_TRACE = N_(
    "Check-ins are sealed in this privacy mode: a trace runs when two officials approve the "
    "opening of the case's days (the case's openings page, or epitrace escrow request, then "
    "approve with each share)."
)


def run_trace(
    session: Session,
    *,
    case: Case,
    now: datetime,
    ran_by: uuid.UUID | None = None,
    privacy_mode: str = "central",
) -> TraceOutcome:
    """Trace a case under the policy in force; the trace records the version it used.

    In the escrow mode presences name nobody: tracing them as they are would find no one and
    look like a result, so it is refused (the escrow domain's opening traces instead).
    """
    if privacy_mode == "escrow":
        raise Conflict(ESCROW_TRACE, code="escrow_trace")
    return trace_case(
        session, case=case, policy=policy_store.current(session), as_of=now, ran_by=ran_by
    )


NO_CHECKINS = N_(
    "The F0 has no check-ins in the infectious window, so the trace had nothing to start "
    "from: finding no F1 here does not mean there were no contacts. Check that the case is on "
    "the person's own record (search by phone or ID number, merge duplicates) and ask where "
    "they went."
)


def presences_in_window(session: Session, *, case: Case, trace: Trace) -> int | None:
    """The F0's own check-ins in the trace's infectious window: 0 means nothing to trace from.

    None when that cannot be known: the window's presences are sealed (escrow mode) and the
    F0's were only seen by the opening that traced them.
    """
    in_window = (
        Presence.entered_at < trace.window_end,
        or_(Presence.left_at.is_(None), Presence.left_at > trace.window_start),
    )
    found = session.scalar(
        select(func.count())
        .select_from(Presence)
        .where(Presence.person_id == case.person_id, *in_window)
    )
    if found:
        return int(found)
    sealed = session.scalar(
        select(Presence.id).where(Presence.sealed_identity.is_not(None), *in_window).limit(1)
    )
    return None if sealed is not None else 0


def last_trace(session: Session, *, case_id: uuid.UUID) -> Trace | None:
    return session.scalars(
        select(Trace).where(Trace.case_id == case_id).order_by(Trace.ran_at.desc()).limit(1)
    ).first()


@dataclass(frozen=True)
class ContactRow:
    """One F1 or F2 with the evidence, ready for a page, the API or an export."""

    level: int
    contact_key: str
    person_id: uuid.UUID | None
    manual_visitor_id: uuid.UUID | None
    full_name: str
    phone: str | None
    birth_year: int | None
    address: str | None
    home_ward: str | None
    venue_id: uuid.UUID
    venue_name: str
    venue_ward: str
    exposed_at: datetime
    exposure_end: datetime
    overlap_minutes: int
    source_key: str
    source_name: str
    contact_presence_id: uuid.UUID
    source_presence_id: uuid.UUID
    evidence_count: int
    id_number: str | None = None  # CCCD or passport, of a person or a visitor entered by hand


def contacts(
    session: Session, *, case: Case, ward_code: str | None = None, level: int | None = None
) -> list[ContactRow]:
    """The case's F1 and F2 with identities and evidence (callers check the permission)."""
    stmt = (
        select(ContactLink, Person, ManualVisitor, Venue)
        .outerjoin(Person, Person.id == ContactLink.person_id)
        .outerjoin(ManualVisitor, ManualVisitor.id == ContactLink.manual_visitor_id)
        .join(Venue, Venue.id == ContactLink.venue_id)
        .where(ContactLink.case_id == case.id)
        .order_by(ContactLink.level, ContactLink.exposed_at)
    )
    if level is not None:
        stmt = stmt.where(ContactLink.level == level)
    if ward_code:
        stmt = stmt.where(func.coalesce(Person.ward_code, ContactLink.ward_code) == ward_code)
    rows = session.execute(stmt).all()
    names = {f"p:{case.person_id}": _person_name(session, case.person_id)}
    for link, person, visitor, _venue in rows:
        names[link.contact_key] = (person or visitor).full_name if (person or visitor) else ""
    missing = {r[0].source_key for r in rows} - set(names)
    for key in missing:
        names[key] = _name_of_key(session, key)
    out = []
    for link, person, visitor, venue in rows:
        who = person or visitor
        out.append(
            ContactRow(
                level=link.level,
                contact_key=link.contact_key,
                person_id=link.person_id,
                manual_visitor_id=link.manual_visitor_id,
                full_name=who.full_name if who else "",
                phone=who.phone if who else None,
                birth_year=person.birth_year if person else None,
                address=person.address if person else None,
                home_ward=person.ward_code if person else None,
                venue_id=venue.id,
                venue_name=venue.name,
                venue_ward=link.ward_code,
                exposed_at=link.exposed_at,
                exposure_end=link.exposure_end,
                overlap_minutes=link.overlap_minutes,
                source_key=link.source_key,
                source_name=names.get(link.source_key, ""),
                contact_presence_id=link.contact_presence_id,
                source_presence_id=link.source_presence_id,
                evidence_count=link.evidence_count,
                id_number=who.id_number if who else None,
            )
        )
    return out


def _person_name(session: Session, person_id: uuid.UUID) -> str:
    return session.scalar(select(Person.full_name).where(Person.id == person_id)) or ""


def _name_of_key(session: Session, key: str) -> str:
    kind, _, raw = key.partition(":")
    try:
        ident = uuid.UUID(raw)
    except ValueError:
        return ""
    model = Person if kind == "p" else ManualVisitor
    return session.scalar(select(model.full_name).where(model.id == ident)) or ""


@dataclass(frozen=True)
class ContactCounts:
    f1: int
    f2: int
    by_ward: dict[str, tuple[int, int]]  # venue ward -> (F1, F2)


def counts(session: Session, *, case: Case) -> ContactCounts:
    """Counts only, for officials who may not see identities."""
    rows = session.execute(
        select(ContactLink.ward_code, ContactLink.level, func.count())
        .where(ContactLink.case_id == case.id)
        .group_by(ContactLink.ward_code, ContactLink.level)
    ).all()
    by_ward: dict[str, tuple[int, int]] = {}
    f1 = f2 = 0
    for ward, level, n in rows:
        a, b = by_ward.get(ward, (0, 0))
        if level == 1:
            by_ward[ward] = (a + n, b)
            f1 += n
        else:
            by_ward[ward] = (a, b + n)
            f2 += n
    return ContactCounts(f1=f1, f2=f2, by_ward=by_ward)


# -- cases in an area and a period -----------------------------------------------------------


def cases_in(
    session: Session, *, area_path: str | None, since: datetime, until: datetime
) -> list[Case]:
    stmt = select(Case).where(
        Case.confirmed_at >= since,
        Case.confirmed_at < until,
        place_service.within_area(Case.ward_code, area_path),
    )
    return list(session.scalars(stmt.order_by(Case.confirmed_at)))


@dataclass
class Cluster:
    cases: list[Case] = field(default_factory=list)
    venues: set[uuid.UUID] = field(default_factory=set)


def clusters(
    session: Session, *, area_path: str | None, since: datetime, until: datetime
) -> list[Cluster]:
    """Connected groups of cases: a case is linked to another when it is among that case's
    contacts, or when both cases exposed the same person (a shared F1)."""
    found = cases_in(session, area_path=area_path, since=since, until=until)
    if not found:
        return []
    by_id = {c.id: c for c in found}
    by_person: dict[uuid.UUID, list[uuid.UUID]] = {}
    for c in found:
        by_person.setdefault(c.person_id, []).append(c.id)
    parent = {c.id: c.id for c in found}

    def root(x: uuid.UUID) -> uuid.UUID:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: uuid.UUID, b: uuid.UUID) -> None:
        parent[root(a)] = root(b)

    ids = list(by_id)
    venues: dict[uuid.UUID, set[uuid.UUID]] = {}
    links = session.execute(
        select(ContactLink.case_id, ContactLink.person_id, ContactLink.level, ContactLink.venue_id)
        .where(ContactLink.case_id.in_(ids))
        .where(ContactLink.person_id.is_not(None))
    ).all()
    exposed: dict[uuid.UUID, list[uuid.UUID]] = {}
    for case_id, person_id, level, venue_id in links:
        if person_id is None:
            continue
        for other in by_person.get(person_id, []):
            join(case_id, other)
            venues.setdefault(case_id, set()).add(venue_id)
        if level == 1:
            exposed.setdefault(person_id, []).append(case_id)
    for case_ids in exposed.values():
        for other in case_ids[1:]:
            join(case_ids[0], other)
    groups: dict[uuid.UUID, Cluster] = {}
    for c in found:
        group = groups.setdefault(root(c.id), Cluster())
        group.cases.append(c)
        group.venues |= venues.get(c.id, set())
    return sorted(
        (g for g in groups.values() if len(g.cases) > 1),
        key=lambda g: (-len(g.cases), g.cases[0].confirmed_at),
    )


@dataclass(frozen=True)
class Hotspot:
    venue_id: uuid.UUID
    name: str
    ward_code: str
    category: str
    presences: int
    cases: int


def hotspots(
    session: Session,
    *,
    area_path: str | None,
    since: datetime,
    until: datetime,
    policy: Policy,
    min_presences: int | None = None,
) -> list[Hotspot]:
    """Venues with at least N presences of cases during their infectious windows."""
    found = cases_in(session, area_path=area_path, since=since - timedelta(days=14), until=until)
    windows = []
    for c in found:
        start, end = policy.infectious_window(
            onset_at=c.onset_at, sampled_at=c.sampled_at, isolated_at=c.isolated_at, as_of=until
        )
        start, end = max(start, since), min(end, until)
        if end > start:
            windows.append(
                (Presence.person_id == c.person_id)
                & (Presence.entered_at >= start)
                & (Presence.entered_at < end)
            )
    if not windows:
        return []
    threshold = min_presences if min_presences is not None else policy.hotspot_min_cases
    stmt = (
        select(
            Venue.id,
            Venue.name,
            Venue.ward_code,
            Venue.category,
            func.count(Presence.id),
            func.count(func.distinct(Presence.person_id)),
        )
        .join(Venue, Venue.id == Presence.venue_id)
        .where(or_(*windows))
        .where(place_service.within_area(Venue.ward_code, area_path))
        .group_by(Venue.id, Venue.name, Venue.ward_code, Venue.category)
        .having(func.count(Presence.id) >= threshold)
        .order_by(func.count(Presence.id).desc(), Venue.name)
    )
    return [
        Hotspot(
            venue_id=v,
            name=name,
            ward_code=ward,
            category=str(cat.value if hasattr(cat, "value") else cat),
            presences=n,
            cases=k,
        )
        for v, name, ward, cat, n, k in session.execute(stmt)
    ]


@dataclass(frozen=True)
class WardRisk:
    code: str
    name: str
    population: int | None
    cases_7: int
    cases_14: int
    per_100k_7: float | None
    per_100k_14: float | None
    level: int | None  # None: population unknown
    geometry: str | None


def ward_risk(session: Session, *, area_code: str, now: datetime, policy: Policy) -> list[WardRisk]:
    """Cases per 100,000 residents over 7 and 14 days for every ward of the area."""
    area = place_service.get_or_404(session, code=area_code)
    wards = place_service.leaf_units(session, area_path=area.path)
    short, long_ = policy.risk_days
    rows = session.execute(
        select(
            Case.ward_code,
            func.count().filter(Case.confirmed_at >= now - timedelta(days=short)),
            func.count(),
        )
        .where(Case.confirmed_at >= now - timedelta(days=long_), Case.confirmed_at <= now)
        .where(place_service.within_area(Case.ward_code, area.path))
        .group_by(Case.ward_code)
    ).all()
    tally = {ward: (int(a), int(b)) for ward, a, b in rows}
    out = []
    for unit in wards:
        c7, c14 = tally.get(unit.code, (0, 0))
        pop = unit.population
        r7 = c7 * 100_000 / pop if pop else None
        r14 = c14 * 100_000 / pop if pop else None
        out.append(
            WardRisk(
                code=unit.code,
                name=unit.name,
                population=pop,
                cases_7=c7,
                cases_14=c14,
                per_100k_7=r7,
                per_100k_14=r14,
                level=policy.risk_level(r14) if r14 is not None else None,
                geometry=unit.geometry,
            )
        )
    out.sort(key=lambda w: (-(w.level or 0), -(w.per_100k_14 or 0), w.name))
    return out


def active_cases_count(session: Session, *, area_path: str | None) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.status == CaseStatus.ACTIVE)
            .where(place_service.within_area(Case.ward_code, area_path))
        )
        or 0
    )


def unit_name(session: Session, code: str) -> str:
    return session.scalar(select(AdminUnit.name).where(AdminUnit.code == code)) or code


def names_of_wards(session: Session, codes: Sequence[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(
        select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(set(codes)))
    )
    return {row[0]: row[1] for row in rows}


# -- erasure on request (mydata) ------------------------------------------------------------


def _contact_keys(person_ids: Sequence[uuid.UUID]) -> list[str]:
    return [f"p:{person_id}" for person_id in person_ids]


def latest_exposure_end(session: Session, *, person_ids: Sequence[uuid.UUID]) -> datetime | None:
    """When the latest exposure that made one of these people a contact ended."""
    if not person_ids:
        return None
    return session.scalar(
        select(func.max(ContactLink.exposure_end)).where(
            or_(
                ContactLink.person_id.in_(person_ids),
                ContactLink.contact_key.in_(_contact_keys(person_ids)),
            )
        )
    )


def erase_people(session: Session, *, person_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """Delete the links that made these people contacts (F1/F2) of a case."""
    if not person_ids:
        return {}
    rows = affected(
        session.execute(
            delete(ContactLink).where(
                or_(
                    ContactLink.person_id.in_(person_ids),
                    ContactLink.contact_key.in_(_contact_keys(person_ids)),
                )
            )
        )
    )
    return {"contact_link": rows}
