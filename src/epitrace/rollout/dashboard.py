"""The province dashboard's reads: an area's stored indicators over a period, its child units
and wards at the last computed day, and its sectors and organisations ranked (counts only)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from epitrace.db import path_within
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import indicators
from epitrace.rollout.models import IndicatorSnapshot, IndicatorUnit
from epitrace.venues.models import Organisation

DEFAULT_DAYS = 30
MAX_DAYS = 366
LEAGUE_SIZE = 10  # organisations shown at each end of the league table

# Sign-up coverage (citizens of the target, %) in colour classes of the map; the last class
# holds everything at or above its bound. Class None: no figures or no population.
COVERAGE_BOUNDS = (20, 40, 60, 80)


class Rank(enum.StrEnum):
    """What a league table ranks by."""

    SIGNUP = "signup"  # areas: citizens of the target; sectors, organisations: roster signed up
    ACTIVE = "active"  # venues active in the last 24 h, of the venues


@dataclass(frozen=True)
class Ranked:
    """A unit of a league table with its row at the day (None: not computed that day)."""

    key: str  # unit code, sector value or organisation id
    name: str
    row: IndicatorSnapshot | None


def period(days: int, *, today: date) -> tuple[date, date]:
    """The last `days` local days up to today, both ends included."""
    return today - timedelta(days=days - 1), today


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def score(row: IndicatorSnapshot | None, rank: Rank) -> float | None:
    """The share a unit is ranked by (0..1, None when its base is zero or unknown)."""
    if row is None:
        return None
    if rank is Rank.ACTIVE:
        return _share(row.venues_active, row.venues)
    if row.unit_type is IndicatorUnit.AREA:
        return _share(row.citizens, indicators.signup_target(row))
    return _share(row.roster_signed_up, row.roster_members)


def coverage_class(row: IndicatorSnapshot | None) -> int | None:
    """The map colour class (0..len(COVERAGE_BOUNDS)) of an area's sign-up coverage."""
    value = score(row, Rank.SIGNUP)
    if value is None:
        return None
    return sum(1 for bound in COVERAGE_BOUNDS if value * 100 >= bound)


def ranked(items: Sequence[Ranked], rank: Rank) -> list[Ranked]:
    """Best first by the rank's share, then by the other share; units without one last."""
    other = Rank.ACTIVE if rank is Rank.SIGNUP else Rank.SIGNUP

    def key(item: Ranked) -> tuple[Any, ...]:
        first, second = score(item.row, rank), score(item.row, other)
        return (first is None, -(first or 0), second is None, -(second or 0), item.name)

    return sorted(items, key=key)


# -- reads ------------------------------------------------------------------------------


def series(session: Session, *, area_code: str, first: date, last: date) -> list[IndicatorSnapshot]:
    """The area's rows from `first` to `last`, by day (days not computed are absent)."""
    stmt = select(IndicatorSnapshot).where(
        IndicatorSnapshot.unit_type == IndicatorUnit.AREA,
        IndicatorSnapshot.area_code == area_code,
        IndicatorSnapshot.sector == "",
        IndicatorSnapshot.day >= first,
        IndicatorSnapshot.day <= last,
    )
    return list(session.scalars(stmt.order_by(IndicatorSnapshot.day)))


def _area_rows(session: Session, units: Sequence[AdminUnit], day: date | None) -> list[Ranked]:
    rows: dict[str, IndicatorSnapshot] = {}
    if day is not None and units:
        stmt = select(IndicatorSnapshot).where(
            IndicatorSnapshot.unit_type == IndicatorUnit.AREA,
            IndicatorSnapshot.day == day,
            IndicatorSnapshot.sector == "",
            IndicatorSnapshot.area_code.in_([u.code for u in units]),
        )
        rows = {row.area_code: row for row in session.scalars(stmt)}
    return [Ranked(u.code, u.name, rows.get(u.code)) for u in units]


def children(session: Session, *, area: AdminUnit, day: date | None) -> list[Ranked]:
    """The area's child units with their rows at the day, in name order."""
    return _area_rows(session, place_service.get_children(session, code=area.code), day)


def map_units(session: Session, *, area: AdminUnit, day: date | None) -> list[tuple[Ranked, str]]:
    """The wards (leaf units) of the area with their rows and geometry, for the map; the
    child units instead when no ward has a shape but the children do."""
    wards = place_service.leaf_units(session, area_path=area.path)
    units = wards
    if not any(w.geometry for w in wards):
        kids = place_service.get_children(session, code=area.code)
        if any(k.geometry for k in kids):
            units = kids
    shapes = {u.code: u.geometry or "" for u in units}
    return [(item, shapes[item.key]) for item in _area_rows(session, units, day)]


def sectors(session: Session, *, area_code: str, day: date | None) -> list[IndicatorSnapshot]:
    """The sectors' rows inside the area at the day."""
    if day is None:
        return []
    stmt = select(IndicatorSnapshot).where(
        IndicatorSnapshot.unit_type == IndicatorUnit.SECTOR,
        IndicatorSnapshot.area_code == area_code,
        IndicatorSnapshot.day == day,
    )
    return list(session.scalars(stmt))


def count_organisations(session: Session, *, area: AdminUnit, day: date | None) -> int:
    if day is None:
        return 0
    stmt = (
        select(func.count())
        .select_from(IndicatorSnapshot)
        .join(AdminUnit, AdminUnit.code == IndicatorSnapshot.area_code)
        .where(
            IndicatorSnapshot.unit_type == IndicatorUnit.ORGANISATION,
            IndicatorSnapshot.day == day,
            path_within(AdminUnit.path, area.path),
        )
    )
    return session.scalar(stmt) or 0


def organisations(
    session: Session,
    *,
    area: AdminUnit,
    day: date | None,
    rank: Rank,
    best: bool,
    limit: int = LEAGUE_SIZE,
) -> list[tuple[IndicatorSnapshot, Organisation]]:
    """The `limit` best (or worst) organisations inside the area at the day by the rank's
    share; organisations whose base is zero (no roster, no venue) are not ranked."""
    if day is None:
        return []
    snap = IndicatorSnapshot
    part, whole = (
        (snap.venues_active, snap.venues)
        if rank is Rank.ACTIVE
        else (snap.roster_signed_up, snap.roster_members)
    )
    share = cast(part, Float) / whole
    stmt = (
        select(snap, Organisation)
        .join(Organisation, Organisation.id == snap.organisation_id)
        .join(AdminUnit, AdminUnit.code == snap.area_code)
        .where(
            snap.unit_type == IndicatorUnit.ORGANISATION,
            snap.day == day,
            whole > 0,
            path_within(AdminUnit.path, area.path),
        )
        .order_by(share.desc() if best else share.asc(), Organisation.name, Organisation.id)
        .limit(limit)
    )
    return [(row, org) for row, org in session.execute(stmt)]
