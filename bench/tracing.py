"""Tracing benchmark: F1 + F2 for one case on a synthetic population, beside brute-force SQL.

`python -m bench.tracing` loads a small population into a fresh PostgreSQL database (created and
dropped here) and a SQLite file, then times the engine (median of several cases) against a
brute-force SQL statement that derives every presence's interval and compares all pairs at the
same venue (no range bounds), checking that both find the same contacts.
`--full` is the reference size: 1,000,000 people, 50,000 venues, 14 days (about 20M presences).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, Uuid, bindparam, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import targets
from bench.population import START, LoadReport, Spec, load, person_id
from epitrace.cases.models import Case, TestType
from epitrace.domains import import_models
from epitrace.tracing.engine import TOLERANCE, Dialect, category_cte, contact_key, trace_case
from epitrace.tracing.models import ContactLink
from epitrace.tracing.policy import DEFAULT_POLICY, Policy

POSTGRES_URL = os.environ.get(
    "EPITRACE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def brute_force_sql(d: Dialect, policy: Policy) -> str:
    """Every presence's interval, then all same-venue pairs: F1, then F2 from F1 after exposure."""
    cte, _ = category_cte(policy)
    start = d.epoch("p.entered_at")
    end = d.least(
        f"COALESCE({d.epoch('p.left_at')}, {start} + cat.dwell_s)", f"{start} + {d.num('cap')}"
    )
    thr = f"CASE WHEN v.small_room THEN {d.num('small_thr')} ELSE cat.thr_s END"
    ok = f"oe - os > {TOLERANCE} AND oe - os >= thr - {TOLERANCE}"
    return f"""
WITH {cte},
eff AS (
  SELECT p.id, p.venue_id, p.person_id, p.manual_visitor_id, {start} AS s, {end} AS e, {thr} AS thr
  FROM presence p JOIN venue v ON v.id = p.venue_id JOIN cat ON cat.category = v.category
),
f1pairs AS (
  SELECT q.person_id, q.manual_visitor_id, {d.greatest("a.s", ":ws", "q.s")} AS os,
         {d.least("a.e", ":we", "q.e")} AS oe, a.thr
  FROM eff a JOIN eff q ON q.venue_id = a.venue_id AND q.id <> a.id
  WHERE a.person_id = :pid
),
f1 AS (
  SELECT person_id, manual_visitor_id, MIN(os) AS xs FROM f1pairs
  WHERE {ok} AND (person_id IS NULL OR person_id <> :pid)
  GROUP BY person_id, manual_visitor_id
),
f2pairs AS (
  SELECT q.person_id, q.manual_visitor_id, {d.greatest("a.s", "f1.xs", "q.s")} AS os,
         {d.least("a.e", ":asof", "q.e")} AS oe, a.thr
  FROM f1 JOIN eff a ON (a.person_id = f1.person_id OR a.manual_visitor_id = f1.manual_visitor_id)
  JOIN eff q ON q.venue_id = a.venue_id AND q.id <> a.id
)
SELECT 1 AS level, person_id, manual_visitor_id FROM f1
UNION ALL
SELECT DISTINCT 2, person_id, manual_visitor_id FROM f2pairs WHERE {ok}
"""


def brute_force(
    session: Session, case: Case, policy: Policy, as_of: object
) -> tuple[set[str], set[str]]:
    d = Dialect(session.get_bind().dialect.name)
    ws, we = policy.infectious_window(
        onset_at=case.onset_at,
        sampled_at=case.sampled_at,
        isolated_at=case.isolated_at,
        as_of=as_of,  # type: ignore[arg-type]
    )
    _, params = category_cte(policy)
    params |= {
        "pid": case.person_id,
        "ws": ws.timestamp(),
        "we": we.timestamp(),
        "asof": as_of.timestamp(),  # type: ignore[attr-defined]
        "cap": float(policy.max_presence_hours * 3600),
        "small_thr": float(policy.small_room_overlap_minutes * 60),
    }
    sql = brute_force_sql(d, policy)
    statement = (
        text(sql)
        .bindparams(bindparam("pid", type_=Uuid()))
        .columns(person_id=Uuid(), manual_visitor_id=Uuid())
    )
    f1: set[str] = set()
    f2: set[str] = set()
    for level, person, visitor in session.execute(statement, params):
        (f1 if level == 1 else f2).add(contact_key(person, visitor))
    f0 = contact_key(case.person_id, None)
    f2 -= f1 | {f0}
    return f1, f2


def found(session: Session, case: Case, level: int) -> set[str]:
    stmt = select(ContactLink.contact_key).where(
        ContactLink.case_id == case.id, ContactLink.level == level
    )
    return set(session.scalars(stmt))


@dataclass
class Figures:
    backend: str
    load: LoadReport
    engine_ms: list[float]
    brute_ms: list[float]
    f1: list[int]
    f2: list[int]


def pick_cases(engine: Engine, count: int, spec: Spec) -> list[uuid.UUID]:
    """People with at least a few presences in the last week of the period."""
    chosen: list[uuid.UUID] = []
    n = 7
    with engine.connect() as conn:
        while len(chosen) < count and n < spec.people:
            pid = person_id(n)
            visits = conn.execute(
                text("SELECT COUNT(*) FROM presence WHERE person_id = :p").bindparams(
                    bindparam("p", type_=Uuid())
                ),
                {"p": pid},
            ).scalar_one()
            if visits >= 10:
                chosen.append(pid)
            n += max(1, spec.people // (count * 3))
    if len(chosen) < 2:
        raise SystemExit("too few people with 10 presences to time: load more days or people")
    return chosen


def run(
    engine: Engine, spec: Spec, *, cases: int, brute_runs: int, label: str, reuse: bool = False
) -> Figures:
    import_models()
    if reuse:
        report = LoadReport(0, 0, 0, 0.0, 0.0)
        print(f"[{label}] timing on the population already loaded")
    else:
        print(
            f"[{label}] loading {spec.people:,} people, {spec.venues:,} venues, {spec.days} days…"
        )
        report = load(engine, spec)
        print(
            f"[{label}] {report.presences:,} presences loaded in {report.seconds:.1f} s "
            f"({report.rows_per_second:,.0f} rows/s), indexes and keys "
            f"{report.index_seconds:.1f} s"
        )
    as_of = START + timedelta(days=spec.days)
    figures = Figures(label, report, [], [], [], [])
    people = pick_cases(engine, cases + 1, spec)
    for i, pid in enumerate(people):
        with Session(engine) as session:
            case = Case(
                person_id=pid,
                ward_code=spec.province,
                test_type=TestType.PCR,
                sampled_at=as_of - timedelta(days=3),
                confirmed_at=as_of - timedelta(days=2),
                onset_at=as_of - timedelta(days=5),
                isolated_at=as_of - timedelta(days=2),
            )
            session.add(case)
            session.flush()
            started = time.perf_counter()
            outcome = trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=as_of)
            elapsed = (time.perf_counter() - started) * 1000
            if i > 0:  # the first case warms the connection and the plan cache
                figures.engine_ms.append(elapsed)
                figures.f1.append(outcome.f1_count)
                figures.f2.append(outcome.f2_count)
            if i < brute_runs:
                started = time.perf_counter()
                f1, f2 = brute_force(session, case, DEFAULT_POLICY, as_of)
                figures.brute_ms.append((time.perf_counter() - started) * 1000)
                same = f1 == found(session, case, 1) and f2 == found(session, case, 2)
                if not same:
                    raise SystemExit(f"[{label}] engine and brute force disagree for {pid}")
            session.rollback()
    engine_median = statistics.median(figures.engine_ms)
    load_1m = os.getloadavg()[0]
    print(f"[{label}] machine load average (1 min) during the timing: {load_1m:.1f}")
    brute_median = statistics.median(figures.brute_ms) if figures.brute_ms else float("nan")
    print(
        f"[{label}] F1+F2 for one case: median {engine_median:.1f} ms over "
        f"{len(figures.engine_ms)} cases (min {min(figures.engine_ms):.1f}, "
        f"max {max(figures.engine_ms):.1f}); F1 median {statistics.median(figures.f1):.0f}, "
        f"F2 median {statistics.median(figures.f2):.0f}"
    )
    print(
        f"[{label}] brute-force SQL: median {brute_median:.1f} ms over {len(figures.brute_ms)} "
        f"cases, same contacts; engine is {brute_median / engine_median:,.0f}× faster"
    )
    if label == "postgresql":
        p95 = targets.percentile(figures.engine_ms, 0.95)
        presences = report.presences or _presences(engine)
        targets.record(
            targets.ORDER[2],
            figure=f"median {engine_median:.1f} ms, p95 {p95:.1f} ms at {presences:,} presences",
            baseline=f"brute-force SQL median {brute_median:.1f} ms",
            met=(engine_median < 20 and p95 < 50) if presences >= 20_000_000 else None,
        )
    return figures


def _presences(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM presence")).scalar_one())


def print_sizes(engine: Engine) -> None:
    """The presence table beside each of its indexes (the issue's "indexes ≤ the table")."""
    with engine.connect() as conn:
        table = conn.execute(text("SELECT pg_relation_size('presence')")).scalar_one()
        rows = conn.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = 'presence'::regclass ORDER BY 2 DESC"
            )
        ).all()
    total = sum(size for _name, size in rows)
    targets.record(
        targets.ORDER[4],
        figure=f"{total / table:.2f} (indexes {total / 2**20:,.0f} MiB)",
        baseline=f"table {table / 2**20:,.0f} MiB",
        met=total <= table,
    )
    print(
        f"[postgresql] presence: table {table / 2**20:,.0f} MiB, indexes {total / 2**20:,.0f} MiB "
        f"({total / table:.2f} of the table)"
    )
    for name, size in rows:
        print(f"    {name:<36} {size / 2**20:8,.0f} MiB")


def postgres(spec: Spec, args: argparse.Namespace) -> None:
    reuse = bool(args.database)
    name = args.database or f"epitrace_bench_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    if not reuse:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name)
    engine = create_engine(url)
    try:
        run(
            engine,
            spec,
            cases=args.cases,
            brute_runs=args.brute_runs,
            label="postgresql",
            reuse=reuse,
        )
        print_sizes(engine)
    finally:
        engine.dispose()
        if not args.keep and not reuse:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}"'))
        else:
            print(f"kept database {name}")
        admin.dispose()


def sqlite(spec: Spec, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            run(engine, spec, cases=args.cases, brute_runs=args.brute_runs, label="sqlite")
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="1M people, 50k venues, 14 days")
    parser.add_argument("--people", type=int)
    parser.add_argument("--venues", type=int)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--sqlite-people", type=int, default=20_000)
    parser.add_argument("--sqlite-venues", type=int, default=1_000)
    parser.add_argument("--cases", type=int, default=15, help="cases timed (median reported)")
    parser.add_argument("--brute-runs", type=int, default=3)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--database", help="time again on a database kept by --keep (same size flags)"
    )
    args = parser.parse_args()
    people = args.people or (1_000_000 if args.full else 50_000)
    venues = args.venues or (50_000 if args.full else 2_500)
    postgres(Spec(people=people, venues=venues, days=args.days), args)
    if not args.skip_sqlite:
        sqlite(Spec(people=args.sqlite_people, venues=args.sqlite_venues, days=args.days), args)


if __name__ == "__main__":
    main()
