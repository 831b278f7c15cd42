"""Synthetic population for benchmarks: people, venues across real wards, and their presences.

People live in real wards (from `vietnam-provinces`), keep a few regular venues near home and
sometimes visit others; each day brings a few visits with category-typical durations, some
never checked out. PostgreSQL is loaded with COPY (psycopg), SQLite with executemany; indexes
and foreign keys are added after the load. Run alone to print the load rate:
`python -m bench.population --people 100000 --venues 5000 --days 14`.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, text

from epitrace.db import Base
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.venues.models import VenueCategory

START = datetime(2026, 11, 1, tzinfo=UTC)

# (category, weight, typical minutes) — offices, schools and factories hold long days.
CATEGORY_MIX: list[tuple[VenueCategory, int, int]] = [
    (VenueCategory.SHOP_RESTAURANT, 30, 45),
    (VenueCategory.MARKET, 12, 40),
    (VenueCategory.AGENCY_OFFICE, 10, 240),
    (VenueCategory.SHOPPING_CENTRE, 5, 90),
    (VenueCategory.SCHOOL, 8, 300),
    (VenueCategory.FACTORY, 6, 420),
    (VenueCategory.HOSPITAL_CLINIC, 4, 60),
    (VenueCategory.STATION, 3, 30),
    (VenueCategory.VEHICLE, 8, 35),
    (VenueCategory.HOTEL_LODGING, 2, 600),
    (VenueCategory.RELIGIOUS_EVENT, 2, 90),
    (VenueCategory.OTHER, 10, 45),
]


@dataclass(frozen=True)
class Spec:
    """How big and how busy: visits per person per day, share at regular venues, open share."""

    people: int = 50_000
    venues: int = 2_500
    days: int = 14
    province: str = "79"  # Thành phố Hồ Chí Minh
    visits_per_day: float = 1.45
    regular_share: float = 0.7
    regular_venues: int = 3
    open_share: float = 0.05
    manual_share: float = 0.01
    dependent_share: float = 0.05
    seed: int = 20261125

    @property
    def end(self) -> datetime:
        return START + timedelta(days=self.days)


@dataclass
class LoadReport:
    people: int
    venues: int
    presences: int
    seconds: float
    index_seconds: float

    @property
    def rows_per_second(self) -> float:
        return (self.people + self.venues + self.presences) / max(self.seconds, 1e-9)


def _uuid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def person_id(n: int) -> uuid.UUID:
    return uuid.UUID(_uuid(1, n))


def venue_id(n: int) -> uuid.UUID:
    return uuid.UUID(_uuid(2, n))


class _Ids:
    """Text ids in the format each backend stores (PostgreSQL uuid text, SQLite 32 hex)."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite

    def __call__(self, kind: int, n: int) -> str:
        text_id = _uuid(kind, n)
        return text_id.replace("-", "") if self.sqlite else text_id


def _minute_strings(days: int, sqlite: bool) -> list[str]:
    fmt = "%Y-%m-%d %H:%M:%S.000000" if sqlite else "%Y-%m-%d %H:%M:%S+00"
    return [(START + timedelta(minutes=m)).strftime(fmt) for m in range((days + 2) * 1440)]


def wards(province: str) -> list[str]:
    rows = place_service.vietnam_rows()
    found = [r.code for r in rows if r.parent_code == province]
    if not found:
        raise SystemExit(f"province {province} has no wards in vietnam-provinces")
    return found


def generate(spec: Spec, *, sqlite: bool) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Yield (table, rows) batches: wards' people, venues, manual visitors, then presences."""
    rng = random.Random(spec.seed)
    ids = _Ids(sqlite)
    minutes = _minute_strings(spec.days, sqlite)
    created = minutes[0]
    ward_codes = wards(spec.province)
    true_, false_ = (1, 0) if sqlite else ("t", "f")

    categories = [c for c, _, _ in CATEGORY_MIX]
    weights = [w for _, w, _ in CATEGORY_MIX]
    typical = {c: m for c, _, m in CATEGORY_MIX}
    venue_cat: list[VenueCategory] = rng.choices(categories, weights, k=spec.venues)
    venue_ward = [rng.choice(ward_codes) for _ in range(spec.venues)]
    by_ward: dict[str, list[int]] = {}
    for n, ward in enumerate(venue_ward):
        by_ward.setdefault(ward, []).append(n)
    rows: list[tuple[Any, ...]] = []
    for n in range(spec.venues):
        cat = venue_cat[n]
        small = cat is VenueCategory.AGENCY_OFFICE and rng.random() < 0.2
        rows.append(
            (
                ids(2, n),
                1_000_000 + n,
                f"Địa điểm {n}",
                "",
                cat.value,
                venue_ward[n],
                true_ if small else false_,
                "active",
                1,
                created,
            )
        )
    yield "venue", rows

    person_ward = [rng.choice(ward_codes) for _ in range(spec.people)]
    batch: list[tuple[Any, ...]] = []
    for n in range(spec.people):
        guardian = ids(1, n - 1) if n and rng.random() < spec.dependent_share else None
        batch.append(
            (ids(1, n), f"Người {n}", f"nguoi {n}", person_ward[n], guardian, f"ps{n:x}", created)
        )
        if len(batch) == 100_000:
            yield "person", batch
            batch = []
    yield "person", batch

    visitors = max(1, spec.people // 100)
    yield "manual_visitor", [(ids(3, n), f"Khách {n}", created) for n in range(visitors)]

    methods = ("self_scan", "door_scan")
    day_start, day_span = 6 * 60, 15 * 60
    batch = []
    counter = 0
    rand = rng.random
    randrange = rng.randrange
    per_day_int = int(spec.visits_per_day)
    per_day_frac = spec.visits_per_day - per_day_int
    for n in range(spec.people):
        home = by_ward.get(person_ward[n]) or range(spec.venues)
        regular = [
            rng.choice(home) if rand() < 0.7 else randrange(spec.venues)
            for _ in range(spec.regular_venues)
        ]
        pid = ids(1, n)
        for day in range(spec.days):
            visits = per_day_int + (1 if rand() < per_day_frac else 0)
            for _ in range(visits):
                v = (
                    regular[randrange(len(regular))]
                    if rand() < spec.regular_share
                    else randrange(spec.venues)
                )
                start = day * 1440 + day_start + randrange(day_span)
                length = max(1, int(typical[venue_cat[v]] * (0.3 + 1.4 * rand())))
                left = None if rand() < spec.open_share else minutes[start + length]
                if rand() < spec.manual_share:
                    who, mv, method = None, ids(3, randrange(visitors)), "manual"
                else:
                    who, mv, method = pid, None, methods[counter & 1]
                batch.append(
                    (
                        ids(4, counter),
                        ids(2, v),
                        venue_ward[v],
                        who,
                        mv,
                        minutes[start],
                        left,
                        method,
                        minutes[start],
                    )
                )
                counter += 1
                if len(batch) == 200_000:
                    yield "presence", batch
                    batch = []
    yield "presence", batch


COLUMNS = {
    "venue": (
        "id",
        "number",
        "name",
        "address",
        "category",
        "ward_code",
        "small_room",
        "status",
        "code_version",
        "created_at",
    ),
    "person": (
        "id",
        "full_name",
        "search_name",
        "ward_code",
        "guardian_id",
        "pseudonym",
        "created_at",
    ),
    "manual_visitor": ("id", "full_name", "created_at"),
    "presence": (
        "id",
        "venue_id",
        "ward_code",
        "person_id",
        "manual_visitor_id",
        "entered_at",
        "left_at",
        "method",
        "created_at",
    ),
}


def _copy_line(row: tuple[Any, ...]) -> str:
    # Generated values never hold tabs, newlines or backslashes.
    return "\t".join("\\N" if v is None else str(v) for v in row) + "\n"


def create_schema(engine: Engine) -> None:
    import_models()
    Base.metadata.create_all(engine)


def _presence_indexes(engine: Engine) -> list[str]:
    table = Base.metadata.tables["presence"]
    return [str(ix.name) for ix in table.indexes]


def load(
    engine: Engine, spec: Spec, *, progress: Callable[[str, int], None] | None = None
) -> LoadReport:
    """Create the schema, load the places and the population, then index; return the rates."""
    create_schema(engine)
    sqlite = engine.dialect.name == "sqlite"
    table = Base.metadata.tables["presence"]
    with engine.begin() as conn:
        from sqlalchemy.orm import Session  # noqa: PLC0415 - only the place loader needs it

        with Session(bind=conn) as session:
            place_service.load(session, place_service.vietnam_rows())
            session.flush()
        for ix in table.indexes:
            conn.execute(text(f"DROP INDEX {ix.name}"))
        if not sqlite:
            for fk in table.foreign_key_constraints:
                conn.execute(text(f"ALTER TABLE presence DROP CONSTRAINT {fk.name}"))
            for uq in [c for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"]:
                conn.execute(text(f"ALTER TABLE presence DROP CONSTRAINT {uq.name}"))
    counts = {"venue": 0, "person": 0, "presence": 0}
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table_name, rows in generate(spec, sqlite=sqlite):
            cols = COLUMNS[table_name]
            if sqlite:
                marks = ", ".join("?" for _ in cols)
                cursor.executemany(
                    f"INSERT INTO {table_name} ({', '.join(cols)}) VALUES ({marks})", rows
                )
            else:
                with cursor.copy(f"COPY {table_name} ({', '.join(cols)}) FROM STDIN") as copy:
                    copy.write("".join(_copy_line(row) for row in rows))
            counts[table_name] = counts.get(table_name, 0) + len(rows)
            if progress:
                progress(table_name, len(rows))
        raw.commit()
    finally:
        raw.close()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        for ix in table.indexes:
            ix.create(conn)
        if not sqlite:
            for fk in table.foreign_key_constraints:
                element = fk.elements[0]
                conn.execute(
                    text(
                        f"ALTER TABLE presence ADD CONSTRAINT {fk.name} FOREIGN KEY "
                        f"({element.parent.name}) REFERENCES {element.column.table.name} "
                        f"({element.column.name})"
                    )
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Fresh visibility maps, as autovacuum keeps them, so that index-only scans apply.
        conn.execute(text("VACUUM ANALYZE" if not sqlite else "ANALYZE"))
    return LoadReport(
        people=counts["person"],
        venues=counts["venue"],
        presences=counts["presence"],
        seconds=loaded,
        index_seconds=time.perf_counter() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="sqlite:///var/bench-population.db")
    parser.add_argument("--people", type=int, default=Spec.people)
    parser.add_argument("--venues", type=int, default=Spec.venues)
    parser.add_argument("--days", type=int, default=Spec.days)
    args = parser.parse_args()
    engine = create_engine(args.url)
    report = load(engine, Spec(people=args.people, venues=args.venues, days=args.days))
    print(
        f"{report.presences:,} presences, {report.people:,} people, {report.venues:,} venues "
        f"in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s); "
        f"indexes {report.index_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
