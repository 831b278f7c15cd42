"""Daily rollout indicators per administrative unit, sector and organisation, pre-aggregated.

A few set-based `INSERT … SELECT … GROUP BY` statements per local day write
`indicator_snapshot`, reading check-ins from the per-venue daily roll-up (`rollups`) and
citizens signed up from the per-ward counts kept by triggers (`WardSignupCount`); the
exact definitions are in docs/rollout.md, "Indicators". A past day is a snapshot: computing
it again changes nothing unless forced.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from epitrace import localtime
from epitrace.accounts.models import Person, UserAccount
from epitrace.checkins.models import Presence
from epitrace.db import UTCDateTime, path_within, utcnow
from epitrace.declarations.models import Declaration
from epitrace.errors import N_, InvalidInput
from epitrace.places.models import AdminUnit
from epitrace.rollout import rollups
from epitrace.rollout.models import (
    Household,
    HouseholdVisit,
    IndicatorSnapshot,
    IndicatorUnit,
    RosterMember,
    VenueDayCount,
    WardSignupCount,
)
from epitrace.venues.models import Organisation, Venue

# Figures summed from organisations into sectors and areas.
ORG_FIGURES = (
    "venues",
    "venues_with_poster",
    "venues_active",
    "venues_door_control",
    "checkins",
    "roster_members",
    "roster_signed_up",
)
# Figures of area rows only: households on the community teams' lists, and those visited.
HOUSEHOLD_FIGURES = ("households", "households_visited")
AREA_FIGURES = ("citizens", "declarations", *ORG_FIGURES, *HOUSEHOLD_FIGURES)

MAX_DAYS = 366


@dataclass(frozen=True)
class DayResult:
    day: date
    rows: int  # rows written; 0 when the day was kept
    kept: bool  # a past day already computed, left as it was


def _const(value: str) -> ColumnElement[Any]:
    """A constant text in a SELECT list (our own enum values, never user input)."""
    return literal_column(f"'{value}'")


def _zero(name: str) -> ColumnElement[Any]:
    return literal_column("0").label(name)


def _snapshot(day: date, unit: IndicatorUnit) -> Any:
    snap = aliased(IndicatorSnapshot)
    return snap, and_(snap.day == day, snap.unit_type == unit)


def compute_day(
    session: Session,
    day: date,
    *,
    smartphone_share: float,
    force: bool = False,
    now: datetime | None = None,
) -> DayResult:
    """Write the indicators of one local day; a past day already written is kept unless
    `force`. Today (and only today or earlier) may be computed, and is recomputed each time."""
    moment = now or utcnow()
    today = localtime.today(moment)
    if day > today:
        raise InvalidInput(
            N_("Indicators of %(day)s cannot be computed before the day has come."),
            params={"day": day.isoformat()},
        )
    written = session.scalar(
        select(IndicatorSnapshot.id).where(IndicatorSnapshot.day == day).limit(1)
    )
    if written is not None and day < today and not force:
        return DayResult(day, 0, kept=True)
    counted = rollups.catch_up(session)  # the real clock: the mark is about stored rows
    session.execute(delete(IndicatorSnapshot).where(IndicatorSnapshot.day == day))
    start, end = localtime.day_bounds(day)
    _insert_organisations(session, day, start, end, moment, counted.upto)
    _insert_sectors(session, day, moment)
    _insert_areas(session, day, start, end, moment, smartphone_share, counted.upto)
    # (the drivers do not all report the rows an INSERT … SELECT wrote)
    rows = session.scalar(
        select(func.count()).select_from(IndicatorSnapshot).where(IndicatorSnapshot.day == day)
    )
    return DayResult(day, rows or 0, kept=False)


def compute_range(
    session: Session,
    first: date,
    last: date,
    *,
    smartphone_share: float,
    force: bool = False,
    now: datetime | None = None,
    progress: Callable[[DayResult], None] | None = None,
) -> list[DayResult]:
    """`compute_day` for every day from `first` to `last` (both included), in order."""
    days = days_between(first, last)
    results = []
    for day in days:
        result = compute_day(session, day, smartphone_share=smartphone_share, force=force, now=now)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def percent_of(part: int | None, whole: int | None) -> float | None:
    """A share in per cent with one decimal; None when there is no figure or the base is 0."""
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


def signup_target(row: IndicatorSnapshot) -> int | None:
    """How many citizens of an area are expected to sign up: population × smartphone share."""
    if row.population is None or row.smartphone_share is None:
        return None
    return round(row.population * row.smartphone_share)


def days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise InvalidInput(N_("The first day must not come after the last day."))
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise InvalidInput(N_("At most %(count)s days at a time."), params={"count": MAX_DAYS})
    return [first + timedelta(days=n) for n in range(count)]


def _venue_figures(day: date, start: datetime, end: datetime, counted_upto: datetime) -> Any:
    """One row per venue registered by `end`: poster, active, door control, check-ins.

    Check-ins are the roll-up's (`rollout.rollups`, one row per venue and day, brought up to
    date by `compute_day`) plus the presences stored since it last counted (the last minute),
    so the figures are exact when they are read.
    """
    start_at = literal(start, UTCDateTime())
    end_at = literal(end, UTCDateTime())
    recent = select(
        Presence.venue_id,
        literal_column("1").label("checkins"),
        case((Presence.method.in_(rollups.DOOR_METHODS), 1), else_=0).label("door_checkins"),
    ).where(
        Presence.created_at >= literal(counted_upto, UTCDateTime()),
        Presence.entered_at >= start_at,
        Presence.entered_at < end_at,
    )
    rolled = select(
        VenueDayCount.venue_id, VenueDayCount.checkins, VenueDayCount.door_checkins
    ).where(VenueDayCount.day == day)
    both = union_all(rolled, recent).subquery("counted")
    presences = (
        select(
            both.c.venue_id,
            func.sum(both.c.checkins).label("checkins"),
            case((func.sum(both.c.checkins) > 0, 1), else_=0).label("active"),
            case((func.sum(both.c.door_checkins) > 0, 1), else_=0).label("door"),
        )
        .group_by(both.c.venue_id)
        .subquery("presences")
    )
    return (
        select(
            Venue.id.label("venue_id"),
            Venue.ward_code.label("ward_code"),
            Venue.organisation_id.label("organisation_id"),
            case(
                (
                    and_(
                        Venue.poster_downloaded_at.is_not(None),
                        Venue.poster_downloaded_at < end,
                    ),
                    1,
                ),
                else_=0,
            ).label("poster"),
            func.coalesce(presences.c.active, 0).label("active"),
            func.coalesce(presences.c.door, 0).label("door"),
            func.coalesce(presences.c.checkins, 0).label("checkins"),
        )
        .outerjoin(presences, presences.c.venue_id == Venue.id)
        .where(Venue.created_at < end)
        .subquery("venue_figures")
    )


def _venue_sums(venues: Any) -> list[ColumnElement[Any]]:
    return [
        func.count().label("venues"),
        func.sum(venues.c.poster).label("venues_with_poster"),
        func.sum(venues.c.active).label("venues_active"),
        func.sum(venues.c.door).label("venues_door_control"),
        func.sum(venues.c.checkins).label("checkins"),
    ]


def _insert_organisations(
    session: Session,
    day: date,
    start: datetime,
    end: datetime,
    moment: datetime,
    counted_upto: datetime,
) -> None:
    venues = _venue_figures(day, start, end, counted_upto)
    by_org = (
        select(venues.c.organisation_id, *_venue_sums(venues))
        .where(venues.c.organisation_id.is_not(None))
        .group_by(venues.c.organisation_id)
        .subquery("by_org")
    )
    # matched by phone to a citizen account that existed at the end of the day
    roster = (
        select(
            RosterMember.organisation_id,
            func.count().label("members"),
            func.count(UserAccount.id).label("signed_up"),
        )
        .outerjoin(
            UserAccount,
            and_(
                UserAccount.phone == RosterMember.phone,
                UserAccount.kind == "citizen",
                UserAccount.created_at < end,
            ),
        )
        .where(RosterMember.created_at < end)
        .group_by(RosterMember.organisation_id)
        .subquery("roster")
    )
    figures = {name: func.coalesce(by_org.c[name], 0) for name in ORG_FIGURES if name in by_org.c}
    figures["roster_members"] = func.coalesce(roster.c.members, 0)
    figures["roster_signed_up"] = func.coalesce(roster.c.signed_up, 0)
    query = (
        select(
            literal(day, Date()),
            _const(IndicatorUnit.ORGANISATION.value),
            Organisation.ward_code,
            Organisation.sector,
            Organisation.id,
            *figures.values(),
            literal(moment, UTCDateTime()),
        )
        .outerjoin(by_org, by_org.c.organisation_id == Organisation.id)
        .outerjoin(roster, roster.c.organisation_id == Organisation.id)
        .where(Organisation.created_at < end)
    )
    columns = [
        "day",
        "unit_type",
        "area_code",
        "sector",
        "organisation_id",
        *figures,
        "computed_at",
    ]
    _insert(session, columns, query)


def _insert_sectors(session: Session, day: date, moment: datetime) -> None:
    """Each sector inside each unit at or above its organisations' wards, from the rows
    just written for the organisations."""
    org, of_day = _snapshot(day, IndicatorUnit.ORGANISATION)
    ward = aliased(AdminUnit)
    above = aliased(AdminUnit)
    query = (
        select(
            literal(day, Date()),
            _const(IndicatorUnit.SECTOR.value),
            above.code,
            org.sector,
            *(func.sum(getattr(org, name)) for name in ORG_FIGURES),
            literal(moment, UTCDateTime()),
        )
        .select_from(org)
        .join(ward, ward.code == org.area_code)
        .join(above, path_within(ward.path, above.path))
        .where(of_day)
        .group_by(above.code, org.sector)
    )
    columns = ["day", "unit_type", "area_code", "sector", *ORG_FIGURES, "computed_at"]
    _insert(session, columns, query)


def _per_unit(day: date, start: datetime, end: datetime, counted_upto: datetime) -> Any:
    """Every figure of an area row, attached to the unit its raw rows name, one row per unit."""
    venues = _venue_figures(day, start, end, counted_upto)
    org, of_day = _snapshot(day, IndicatorUnit.ORGANISATION)

    def branch(code: Any, **given: ColumnElement[Any]) -> Select[Any]:
        cols = [given.get(name, _zero(name)).label(name) for name in AREA_FIGURES]
        return select(code.label("code"), *cols)

    # citizen accounts created before `end`: every account counted per ward now (kept by
    # triggers, `WardSignupCount`), less those created since `end` (an index range)
    kept = branch(WardSignupCount.ward_code, citizens=WardSignupCount.citizens.expression)
    since = (
        branch(Person.ward_code, citizens=-func.count())
        .select_from(UserAccount)
        .join(Person, Person.id == UserAccount.person_id)
        .where(
            UserAccount.created_at >= literal(end, UTCDateTime()),
            UserAccount.kind == "citizen",
            Person.ward_code.is_not(None),
        )
        .group_by(Person.ward_code)
    )
    declarations = (
        branch(Declaration.ward_code, declarations=func.count())
        .where(Declaration.submitted_at >= start, Declaration.submitted_at < end)
        .group_by(Declaration.ward_code)
    )
    venue_rows = (
        branch(venues.c.ward_code, **{c.name: c for c in _venue_sums(venues)})
        .select_from(venues)
        .group_by(venues.c.ward_code)
    )
    rosters = (
        branch(
            org.area_code,
            roster_members=func.sum(org.roster_members),
            roster_signed_up=func.sum(org.roster_signed_up),
        )
        .where(of_day)
        .group_by(org.area_code)
    )
    # a household counts as visited from the first visit that found someone at home
    visited = (
        select(HouseholdVisit.household_id)
        .where(HouseholdVisit.visited.is_(True), HouseholdVisit.visited_at < end)
        .group_by(HouseholdVisit.household_id)
        .subquery("visited")
    )
    households = (
        branch(
            Household.ward_code,
            households=func.count(),
            households_visited=func.count(visited.c.household_id),
        )
        .select_from(Household)
        .outerjoin(visited, visited.c.household_id == Household.id)
        .where(Household.created_at < end)
        .group_by(Household.ward_code)
    )
    raw = union_all(kept, since, declarations, venue_rows, rosters, households).subquery("raw")
    return (
        select(raw.c.code, *(func.sum(raw.c[name]).label(name) for name in AREA_FIGURES))
        .group_by(raw.c.code)
        .subquery("per_unit")
    )


def _insert_areas(
    session: Session,
    day: date,
    start: datetime,
    end: datetime,
    moment: datetime,
    smartphone_share: float,
    counted_upto: datetime,
) -> None:
    """Every administrative unit: the figures of every unit at or below it (materialised
    paths, any depth). Population: the unit's own figure, else the sum of its wards'."""
    per_unit = _per_unit(day, start, end, counted_upto)
    child = aliased(AdminUnit)
    below = (
        select(
            AdminUnit.code,
            AdminUnit.path,
            case(
                (exists().where(child.parent_code == AdminUnit.code), None),
                else_=AdminUnit.population,
            ).label("ward_population"),
        )
    ).subquery("below")
    above = aliased(AdminUnit)
    query = (
        select(
            literal(day, Date()),
            _const(IndicatorUnit.AREA.value),
            above.code,
            _const(""),
            func.coalesce(above.population, func.sum(below.c.ward_population)),
            literal(smartphone_share, Float()),
            *(func.coalesce(func.sum(per_unit.c[name]), 0) for name in AREA_FIGURES),
            literal(moment, UTCDateTime()),
        )
        .select_from(above)
        .join(below, path_within(below.c.path, above.path))
        .outerjoin(per_unit, per_unit.c.code == below.c.code)
        .group_by(above.code, above.population)
    )
    columns = [
        "day",
        "unit_type",
        "area_code",
        "sector",
        "population",
        "smartphone_share",
        *AREA_FIGURES,
        "computed_at",
    ]
    _insert(session, columns, query)


def _insert(session: Session, columns: Sequence[str], query: Select[Any]) -> None:
    session.execute(insert(IndicatorSnapshot).from_select(list(columns), query))


# -- reading -----------------------------------------------------------------------------


def read(
    session: Session,
    *,
    unit: IndicatorUnit,
    area_code: str,
    first: date,
    last: date,
    sector: str = "",
    organisation_id: uuid.UUID | None = None,
) -> list[IndicatorSnapshot]:
    """The stored rows of one unit from `first` to `last`, by day."""
    stmt = select(IndicatorSnapshot).where(
        IndicatorSnapshot.unit_type == unit,
        IndicatorSnapshot.day >= first,
        IndicatorSnapshot.day <= last,
    )
    if unit is IndicatorUnit.ORGANISATION:
        stmt = stmt.where(IndicatorSnapshot.organisation_id == organisation_id)
    else:
        stmt = stmt.where(
            IndicatorSnapshot.area_code == area_code, IndicatorSnapshot.sector == sector
        )
    return list(session.scalars(stmt.order_by(IndicatorSnapshot.day)))
