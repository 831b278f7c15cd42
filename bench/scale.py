"""National scale on one PostgreSQL server: presences partitioned by day, loaded set-wise.

`python -m bench.scale` migrates a fresh database (created and dropped here), loads
`--rows-per-day` presences for each of `--days` days with `generate_series`, and prints:
the load rate (rows/s, the insert and the index build apart), the table and index size of
each day's partition, F1+F2 for several cases with the real engine (min, median, p95, max),
and retention: one day detached as a partition and then dropped by the job's own functions,
beside the row DELETE of another day as the baseline, in the same run.

A day is loaded into a table of its own and then attached as the day's partition, which
builds its indexes in one pass: the way a bulk load goes (the live service inserts rows one
check-in at a time into the attached partition; the check-in benchmark measures that). The
presences' foreign keys (person, venue, manual visitor, staff) are dropped in this database
before the load: their checks are per-row costs of the live service, not of storage, and the
benchmark makes no person rows except the traced cases'.

`--full` is the reference size: 5 days of 20,000,000 presences (100 M rows), 1,000,000 venues.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import targets
from epitrace import migrations
from epitrace.accounts.models import Person
from epitrace.cases import service as case_service
from epitrace.cases.models import Case, TestType
from epitrace.checkins import partitions
from epitrace.domains import import_models
from epitrace.tracing.engine import trace_case
from epitrace.tracing.policy import DEFAULT_POLICY

POSTGRES_URL = os.environ.get(
    "EPITRACE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FIRST_DAY = date(2026, 6, 1)
VISITS_PER_PERSON_DAY = 1.45  # as bench.population: people = rows per day / this
OPEN_SHARE = 0.05  # presences never closed (the dwell rule ends them)
FOREIGN_KEYS = (
    "fk_presence_venue_id_venue",
    "fk_presence_person_id_person",
    "fk_presence_manual_visitor_id_manual_visitor",
    "fk_presence_recorded_by_user_account",
)


def md5_uuid(prefix: str, n: int) -> uuid.UUID:
    """The id PostgreSQL makes as md5(prefix || n)::uuid."""
    return uuid.UUID(hashlib.md5(f"{prefix}{n}".encode(), usedforsecurity=False).hexdigest())


@dataclass(frozen=True)
class Spec:
    days: int
    rows_per_day: int
    venues: int

    @property
    def people(self) -> int:
        return max(10, int(self.rows_per_day / VISITS_PER_PERSON_DAY))


def prepare(engine: Engine, spec: Spec) -> None:
    """The reference rows the presences name: one province, the venues."""
    with engine.begin() as conn:
        for name in FOREIGN_KEYS:
            conn.execute(text(f"ALTER TABLE presence DROP CONSTRAINT {name}"))
        conn.execute(
            text(
                "INSERT INTO admin_unit (code, name, unit_type, level, path, updated_at) "
                "VALUES ('79', 'Thành phố Hồ Chí Minh', 'city', 1, '79.', now())"
            )
        )
        # a fixed mix of categories, as the venue index of a real province would hold
        conn.execute(
            text(
                "INSERT INTO venue (id, number, name, category, address, ward_code, small_room, "
                "status, code_version, created_at) "
                "SELECT md5('v' || g)::uuid, g, 'Địa điểm ' || g, "
                "(ARRAY['shop_restaurant','market','agency_office','school','factory',"
                "'vehicle','other'])[1 + g % 7], '', '79', false, 'active', 1, now() "
                "FROM generate_series(1, :n) g"
            ),
            {"n": spec.venues},
        )
        conn.execute(text("ANALYZE venue"))


def _day_sql(name: str) -> str:
    """One day of presences: uniform venues and people, entries through the day, stays of
    15 minutes to 4 hours, a share never closed."""
    # no client key: a central presence keeps none (the person's receipt does)
    return f"""
INSERT INTO {name} (id, venue_id, ward_code, person_id, entered_at, left_at, close_reason,
                    method, created_at)
SELECT gen_random_uuid(), md5('v' || (1 + (random() * (:venues - 1))::int))::uuid, '79',
       md5('p' || (1 + (random() * (:people - 1))::int))::uuid, t.at,
       CASE WHEN random() < :open THEN NULL
            ELSE t.at + make_interval(mins => 15 + (random() * 225)::int) END,
       NULL, 'self_scan', t.at
FROM generate_series(1, :rows) g
CROSS JOIN LATERAL (SELECT :start + make_interval(secs => random() * 86399.0 + g * 0)) t(at)
"""


@dataclass
class LoadFigures:
    rows: int = 0
    insert_s: float = 0.0
    index_s: float = 0.0


def load(engine: Engine, spec: Spec) -> LoadFigures:
    figures = LoadFigures()
    for n in range(spec.days):
        day = FIRST_DAY + timedelta(days=n)
        name = partitions.partition_name(day)
        start, end = partitions.day_bounds(day)
        bounds = f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {name} (LIKE presence INCLUDING DEFAULTS)"))
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                text(_day_sql(name)),
                {
                    "venues": spec.venues,
                    "people": spec.people,
                    "open": OPEN_SHARE,
                    "rows": spec.rows_per_day,
                    "start": start,
                },
            )
        inserted = time.perf_counter()
        with engine.begin() as conn:
            # sorts of the index builds in memory (a session setting; the server's is small)
            conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
            conn.execute(text(f"ALTER TABLE presence ATTACH PARTITION {name} {bounds}"))
            conn.execute(text(f"ANALYZE {name}"))
        done = time.perf_counter()
        figures.rows += spec.rows_per_day
        figures.insert_s += inserted - started
        figures.index_s += done - inserted
        print(
            f"  {day}: {spec.rows_per_day:,} rows, insert {inserted - started:.1f} s, "
            f"attach and indexes {done - inserted:.1f} s",
            flush=True,
        )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE presence"))
    return figures


def sizes(engine: Engine, spec: Spec) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid) "
                "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'presence'::regclass AND c.relname <> :default "
                "ORDER BY c.relname"
            ),
            {"default": partitions.DEFAULT},
        ).all()
    loaded = [(name, table, index) for name, table, index in rows if table > 0]
    print("table and index size per day (partitions loaded):")
    for name, table, index in loaded:
        print(f"  {name}: table {table / 2**30:.2f} GiB, indexes {index / 2**30:.2f} GiB")
    if loaded:
        table = statistics.mean(t for _, t, _ in loaded)
        index = statistics.mean(i for _, _, i in loaded)
        per_row = (table + index) / spec.rows_per_day
        print(
            f"  per day: {table / 2**30:.2f} GiB table + {index / 2**30:.2f} GiB indexes "
            f"= {(table + index) / 2**30:.2f} GiB; {per_row:.0f} bytes per presence "
            f"(indexes {index / table:.2f} of the table)"
        )
        with engine.connect() as conn:
            each = conn.execute(
                text(
                    "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                    "FROM pg_index WHERE indrelid = CAST(:name AS regclass) ORDER BY 2 DESC"
                ),
                {"name": loaded[-1][0]},
            ).all()
        print(f"  each index of {loaded[-1][0]}:")
        for name, size in each:
            print(f"    {name:<66} {size / 2**20:8,.0f} MiB")


def pick_people(engine: Engine, spec: Spec, count: int) -> list[uuid.UUID]:
    """People with several presences in the last days (the traced cases)."""
    last = FIRST_DAY + timedelta(days=spec.days)
    lo = datetime(last.year, last.month, last.day, tzinfo=UTC) - timedelta(days=4)
    chosen: list[uuid.UUID] = []
    k = 1
    with engine.connect() as conn:
        while len(chosen) < count and k <= spec.people:
            pid = md5_uuid("p", k)
            n = conn.execute(
                text("SELECT count(*) FROM presence WHERE person_id = :p AND entered_at >= :lo"),
                {"p": pid, "lo": lo},
            ).scalar_one()
            if n >= 2:
                chosen.append(pid)
            k += 1
    return chosen


def tracing(engine: Engine, spec: Spec, cases: int) -> None:
    import_models()
    last = FIRST_DAY + timedelta(days=spec.days)
    as_of = datetime(last.year, last.month, last.day, tzinfo=UTC)
    people = pick_people(engine, spec, cases + 1)
    times: list[float] = []
    f1: list[int] = []
    f2: list[int] = []
    for i, pid in enumerate(people):
        with Session(engine) as session:
            session.add(Person(id=pid, full_name=f"Ca {i}", ward_code="79"))
            case = Case(
                person_id=pid,
                ward_code="79",
                test_type=TestType.PCR,
                sampled_at=as_of - timedelta(days=1),
                confirmed_at=as_of - timedelta(hours=12),
                onset_at=as_of - timedelta(days=2),
                isolated_at=as_of - timedelta(hours=12),
            )
            session.add(case)
            session.flush()
            started = time.perf_counter()
            outcome = trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=as_of)
            elapsed = (time.perf_counter() - started) * 1000
            session.rollback()
        if i == 0:
            continue  # warms the connection and the cache
        times.append(elapsed)
        f1.append(outcome.f1_count)
        f2.append(outcome.f2_count)
    if not times:
        print("tracing: no case with presences to trace (load more rows)")
        return
    print(
        f"tracing F1+F2 for one case ({len(times)} cases): min {min(times):.0f} ms, "
        f"median {statistics.median(times):.0f} ms, p95 {targets.percentile(times, 0.95):.0f} ms, "
        f"max {max(times):.0f} ms; F1 median {statistics.median(f1):.0f}, "
        f"F2 median {statistics.median(f2):.0f}"
    )


def purge(engine: Engine, spec: Spec) -> None:
    """Retention: the first day dropped as the job drops it; the next one deleted by rows."""
    if spec.days < 2:
        print("retention: needs two days loaded")
        return
    first, second = FIRST_DAY, FIRST_DAY + timedelta(days=1)
    started = time.perf_counter()
    with Session(engine) as session:  # what holds the lock on presence: unlink and detach
        detached = partitions.detach_before(
            session,
            cutoff=partitions.day_bounds(first)[1],
            unlink=case_service.delete_breaches_of,
        )
        session.commit()
    detach_s = time.perf_counter() - started
    assert detached == [first]  # noqa: S101 - the benchmark checks its own step
    started = time.perf_counter()
    with Session(engine) as session:  # the next run: the files go, no one waits
        partitions.drop_detached(session)
        session.commit()
    files_s = time.perf_counter() - started
    lo, hi = partitions.day_bounds(second)
    started = time.perf_counter()
    with engine.begin() as conn:
        deleted = conn.execute(
            text("DELETE FROM presence WHERE entered_at >= :lo AND entered_at < :hi"),
            {"lo": lo, "hi": hi},
        ).rowcount
    delete_s = time.perf_counter() - started
    print(
        f"retention, one day of {spec.rows_per_day:,} presences: detached as a partition in "
        f"{detach_s * 1000:.0f} ms (with the unlinking of receipts and breaches; the lock on "
        f"presence is held this long), its table dropped in {files_s * 1000:.0f} ms (the "
        f"files removed; blocks no check-in); row DELETE of {deleted:,} rows "
        f"{delete_s:.1f} s (baseline)"
    )
    targets.record(
        targets.ORDER[5],
        figure=f"detach {detach_s * 1000:.0f} ms + drop {files_s * 1000:.0f} ms "
        f"({spec.rows_per_day:,} rows a day)",
        baseline=f"row DELETE of {deleted:,} rows {delete_s:.1f} s",
        met=(detach_s + files_s < 1) if spec.rows_per_day >= 20_000_000 else None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="5 days × 20 M rows, 1 M venues")
    parser.add_argument("--days", type=int)
    parser.add_argument("--rows-per-day", type=int)
    parser.add_argument("--venues", type=int)
    parser.add_argument("--cases", type=int, default=12, help="cases traced (after a warm-up)")
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    spec = Spec(
        days=args.days or 5,
        rows_per_day=args.rows_per_day or (20_000_000 if args.full else 20_000),
        venues=args.venues or (1_000_000 if args.full else 1_000),
    )
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    url = make_url(POSTGRES_URL).set(database=args.database)
    engine = create_engine(url)
    try:
        migrations.upgrade(url.render_as_string(hide_password=False))
        prepare(engine, spec)
        total = spec.days * spec.rows_per_day
        print(
            f"loading {total:,} presences: {spec.days} days × {spec.rows_per_day:,}, "
            f"{spec.venues:,} venues, {spec.people:,} people",
            flush=True,
        )
        started = time.perf_counter()
        figures = load(engine, spec)
        seconds = time.perf_counter() - started
        print(
            f"load: {figures.rows:,} rows in {seconds:.0f} s = {figures.rows / seconds:,.0f} "
            f"rows/s (insert {figures.rows / figures.insert_s:,.0f} rows/s, "
            f"{figures.index_s:.0f} s attaching and building indexes)"
        )
        sizes(engine, spec)
        tracing(engine, spec, args.cases)
        purge(engine, spec)
        print(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
