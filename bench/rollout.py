"""Rollout-oversight benchmark: the nightly indicator job, the dashboard, the reporting rate.

`python -m bench.rollout` seeds a province in a temporary SQLite file (by default 60 wards in
districts of 30, 30,000 people of whom 70 % signed up, 900 venues and 60,000 check-ins on the
measured day, row by row through the models: a quick check). `--postgres` creates its own
PostgreSQL database (`epitrace_bench_rollout_…`, next to `EPITRACE_BENCH_POSTGRES_URL`) and drops it
at the end, seeding with set-based `INSERT … SELECT generate_series` statements; `--full` is
the issue's size: 3,321 wards, 10 M people, 300 k venues and 20 M check-ins on the day
(`python -m bench.rollout --postgres --full`; or any of `--wards`, `--people`, `--venues`,
`--checkins`). Each phase of the seeding prints what it wrote and how long it took. Then,
beside a baseline from the same run:
- (a) the indicator job for one day (every ward, every unit above, every sector and
  organisation) against a plain `COUNT(*) … GROUP BY ward` of the same day's check-ins and of
  the citizens signed up (accounts joined to their people) — the least any per-ward report
  has to read without kept counts;
- (b) the province dashboard (headline, trends, children, sectors, organisations, map) and the
  province's reporting rate on a weekly form.
Check-ins reach the job through the per-venue daily roll-up (`rollout.rollups`), which a
5-minute job keeps up to date during the day; the benchmark runs it once over the seeded day
and prints its cost apart. Citizens signed up reach it through the per-ward counts kept by
triggers (`ward_signup_count`, migration 22). Targets: dashboard and reporting rate under 1 s;
the nightly job within minutes and faster than the plain query.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, make_url, select, text

from epitrace import localtime, migrations
from epitrace.accounts.models import Person, UserAccount
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.rollout import dashboard, indicators, rollups
from epitrace.rollout import reports as report_service
from epitrace.rollout.dashboard_routes import build as build_dashboard
from epitrace.rollout.models import IndicatorUnit
from epitrace.rollout.periods import PeriodType, containing
from epitrace.security.permissions import Grant, Principal
from epitrace.security.roles import Role
from epitrace.venues.models import Venue, VenueCategory

ADMIN_URL = os.environ.get(
    "EPITRACE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FULL = {"wards": 3_321, "people": 10_000_000, "venues": 300_000, "checkins": 20_000_000}
PROVINCE = "90"
PER_DISTRICT = 30
BATCH = 20_000
SIGNED_UP = 0.7  # of the people
BUSY = 0.8  # of the venues have check-ins; the others none


ROUNDS = 5


def rounds(*funcs: Callable[[], object], repeat: int) -> list[list[float]]:
    """Seconds per call of each function over `ROUNDS` rounds of `repeat` calls, the
    functions taking turns in each round (so a busy moment of the machine hits them alike)."""
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(ROUNDS):
        for run, kept in zip(funcs, times, strict=True):
            start = time.perf_counter()
            for _ in range(repeat):
                run()
            kept.append((time.perf_counter() - start) / repeat)
    return times


def spread(times: list[float]) -> str:
    """min / median / max in milliseconds."""
    ms = sorted(t * 1000 for t in times)
    return f"{ms[0]:9.1f} / {statistics.median(ms):9.1f} / {ms[-1]:9.1f} ms"


@contextmanager
def phase(what: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"    seeded {what} in {time.perf_counter() - started:.1f} s", flush=True)


def ward_code(n: int) -> str:
    return f"9{n // PER_DISTRICT:04d}{n % PER_DISTRICT:02d}"


def seed_units(db: Database, *, wards: int, people: int) -> None:
    units = [UnitRow(PROVINCE, "Tỉnh Đo Đạc", "tỉnh", None, people)]
    for n in range(wards):
        if n % PER_DISTRICT == 0:
            district = ward_code(n)[:5]
            units.append(UnitRow(district, f"Huyện {district}", "huyện", PROVINCE, None))
        units.append(UnitRow(ward_code(n), f"Xã {n}", "xã", ward_code(n)[:5], people // wards))
    with db.session_scope() as s:
        place_service.load(s, units)
        report_service.create_form(
            s,
            name="Báo cáo tuần",
            area_code=PROVINCE,
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["district", "ward"],
            created_by=None,
        )


def _insert(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        with db.session_scope() as s:
            s.execute(insert(model), rows[start : start + BATCH])


def seed_rows(
    db: Database, *, wards: int, people: int, venues: int, checkins: int, day: date
) -> None:
    """Row by row through the models (any database; SQLite)."""
    rng = random.Random(11)
    start, _end = localtime.day_bounds(day)
    earlier = start - timedelta(days=2)
    person_rows, account_rows = [], []
    with phase(f"{people:,} people, of whom ~{SIGNED_UP:.0%} with a citizen account"):
        for i in range(people):
            pid = uuid.uuid4()
            person_rows.append(
                {
                    "id": pid,
                    "full_name": f"Người {i}",
                    "ward_code": ward_code(i % wards),
                    "pseudonym": uuid.uuid4().hex[:24],
                }
            )
            if rng.random() < SIGNED_UP:
                account_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "kind": "citizen",
                        "phone": f"+849{i:08d}",
                        "person_id": pid,
                        "created_at": earlier,
                    }
                )
        _insert(db, Person, person_rows)
        _insert(db, UserAccount, account_rows)
    venue_rows = [
        {
            "id": uuid.uuid4(),
            "number": n + 1,
            "name": f"Địa điểm {n}",
            "category": VenueCategory.MARKET,
            "ward_code": ward_code(n % wards),
            "created_at": earlier,
        }
        for n in range(venues)
    ]
    with phase(f"{venues:,} venues"):
        _insert(db, Venue, venue_rows)
    busy = venue_rows[: int(venues * BUSY)]
    with phase(f"{checkins:,} check-ins on {day}"):
        presence_rows = []
        for n in range(checkins):
            venue = busy[rng.randrange(len(busy))]
            person = person_rows[rng.randrange(people)]
            entered = start + timedelta(seconds=86_400 * n // checkins)
            presence_rows.append(
                {
                    "id": uuid.uuid4(),
                    "venue_id": venue["id"],
                    "ward_code": venue["ward_code"],
                    "person_id": person["id"],
                    "entered_at": entered,
                    "method": PresenceMethod.SELF_SCAN,
                    "created_at": entered,  # stored as they happen, as live check-ins are
                }
            )
            if len(presence_rows) >= BATCH:
                _insert(db, Presence, presence_rows)
                presence_rows = []
        _insert(db, Presence, presence_rows)


# PostgreSQL, set-based. Ids are UUIDs numbered per table (ascending, so that the primary
# keys are appended to); a ward's code is computed from its number as `ward_code` does.
_ID = "('{prefix}-0000-4000-8000-' || lpad(to_hex({n}), 12, '0'))::uuid"
_WARD = "('9' || lpad(({n} / 30)::text, 4, '0') || lpad(({n} % 30)::text, 2, '0'))"


def _sql_id(prefix: str, n: str) -> str:
    return _ID.format(prefix=prefix, n=n)


def _sql_ward(n: str) -> str:
    return _WARD.format(n=n)


def _without_indexes(conn: Any, table: str) -> list[str]:
    """Drop the table's indexes and unique constraints but its primary key; returns the
    statements that build them again (bulk loading, then indexing, is much faster)."""
    rows = conn.execute(
        text(
            """
            SELECT i.indexname, i.indexdef, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_indexes i
            LEFT JOIN pg_constraint c
              ON c.conindid = (quote_ident(i.indexname))::regclass
             AND c.conrelid = (quote_ident(i.tablename))::regclass
            WHERE i.tablename = :t AND c.contype IS DISTINCT FROM 'p'
            """
        ),
        {"t": table},
    ).all()
    again = []
    for index, indexdef, constraint, condef in rows:
        if constraint:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"'))
            again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {condef}')
        else:
            conn.execute(text(f'DROP INDEX "{index}"'))
            again.append(indexdef)
    return again


def _bulk(
    db: Database, table: str, statement: str, params: dict[str, Any], *, checks: bool
) -> None:
    """One `INSERT … SELECT`, indexes built afterwards. `checks=False` skips the foreign-key
    checks (the rows are consistent by construction) and any trigger: only for tables whose
    triggers do not matter here (not `user_account`, whose inserts the sign-up counts follow)."""
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        again = _without_indexes(conn, table)
        if not checks:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(statement), params)
        conn.execute(text("SET LOCAL session_replication_role = origin"))
        for ddl in again:
            conn.execute(text(ddl))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {table}"))


def seed_sql(
    db: Database, *, wards: int, people: int, venues: int, checkins: int, day: date
) -> None:
    start, _end = localtime.day_bounds(day)
    earlier = start - timedelta(days=2)
    given = {"wards": wards, "people": people, "venues": venues, "checkins": checkins}
    given |= {"earlier": earlier, "start": start, "busy": max(1, int(venues * BUSY))}
    with phase(f"{people:,} people"):
        _bulk(
            db,
            "person",
            f"""
            INSERT INTO person (id, full_name, ward_code, pseudonym, search_name, created_at)
            SELECT {_sql_id("00000001", "g")}, 'Người ' || g, {_sql_ward("(g % :wards)")},
                   lpad(to_hex(g), 24, '0'), 'nguoi ' || g, :earlier
            FROM generate_series(0, :people - 1) AS g
            """,
            given,
            checks=False,
        )
    tenths = round(SIGNED_UP * 10)
    signed_up = f"g % 10 < {tenths}"
    accounts = people // 10 * tenths + min(people % 10, tenths)
    with phase(f"{accounts:,} citizen accounts (the sign-up counts kept by their triggers)"):
        _bulk(
            db,
            "user_account",
            f"""
            INSERT INTO user_account (id, kind, phone, display_name, person_id, is_active,
                                      created_at)
            SELECT {_sql_id("00000002", "g")}, 'citizen', '+84' || lpad(g::text, 10, '0'), '',
                   {_sql_id("00000001", "g")}, true, :earlier
            FROM generate_series(0, :people - 1) AS g
            WHERE {signed_up}
            """,
            given,
            checks=True,
        )
    with phase(f"{venues:,} venues"):
        _bulk(
            db,
            "venue",
            f"""
            INSERT INTO venue (id, number, name, category, address, ward_code, small_room,
                               status, code_version, created_at)
            SELECT {_sql_id("00000003", "g")}, g + 1, 'Địa điểm ' || g, 'market', '',
                   {_sql_ward("(g % :wards)")}, false, 'active', 1, :earlier
            FROM generate_series(0, :venues - 1) AS g
            """,
            given,
            checks=True,
        )
    with phase(f"{checkins:,} check-ins on {day} (at {given['busy']:,} venues)"):
        # the venue and the person drawn at random; the moments spread over the day in order
        _bulk(
            db,
            "presence",
            f"""
            INSERT INTO presence (id, venue_id, ward_code, person_id, entered_at, method,
                                  created_at)
            SELECT {_sql_id("00000004", "g")}, {_sql_id("00000003", "v")},
                   {_sql_ward("(v % :wards)")}, {_sql_id("00000001", "p")}, at, 'self_scan', at
            FROM (
                SELECT g, (random() * (:busy - 1))::bigint AS v,
                       (random() * (:people - 1))::bigint AS p,
                       :start + (g * 86400.0 / :checkins) * interval '1 second' AS at
                FROM generate_series(0, :checkins - 1) AS g
            ) AS drawn
            """,
            given,
            checks=False,
        )


@contextmanager
def own_database(postgres: bool) -> Iterator[str]:
    """A temporary SQLite file, or a PostgreSQL database of our own, dropped at the end."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    name = f"epitrace_bench_rollout_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def baseline(db: Database, day: date) -> Callable[[], object]:
    """A plain per-ward count of the day's rows: check-ins, and citizens signed up."""
    start, end = localtime.day_bounds(day)

    def run() -> object:
        with db.session_scope() as s:
            checkins = s.execute(
                select(Presence.ward_code, func.count())
                .where(Presence.entered_at >= start, Presence.entered_at < end)
                .group_by(Presence.ward_code)
            ).all()
            citizens = s.execute(
                select(Person.ward_code, func.count())
                .join(UserAccount, UserAccount.person_id == Person.id)
                .where(UserAccount.kind == "citizen", UserAccount.created_at < end)
                .group_by(Person.ward_code)
            ).all()
            return checkins, citizens

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--wards", type=int, default=60)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--venues", type=int, default=900)
    parser.add_argument("--checkins", type=int, default=60_000)
    parser.add_argument("--full", action="store_true", help="3,321 wards, 10 M people, …")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a PostgreSQL database of its own (created, then dropped), seeded set-based",
    )
    args = parser.parse_args()
    size = FULL if args.full else {name: getattr(args, name) for name in FULL}
    import_models()
    day = localtime.today() - timedelta(days=1)
    with own_database(args.postgres) as url:
        migrations.upgrade(url)
        db = Database(url)
        print(
            f"{db.dialect}: {size['wards']:,} wards, {size['people']:,} people, "
            f"{size['venues']:,} venues, {size['checkins']:,} check-ins",
            flush=True,
        )
        started = time.perf_counter()
        seed_units(db, wards=size["wards"], people=size["people"])
        (seed_sql if args.postgres else seed_rows)(db, day=day, **size)
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)

        def job() -> object:
            with db.session_scope() as s:
                return indicators.compute_day(
                    s, day, smartphone_share=0.75, force=True, now=datetime.now(UTC)
                )

        def roll_up() -> object:
            # as if the day were over: everything seeded has settled
            with db.session_scope() as s:
                return rollups.catch_up(s, now=datetime.now(UTC) + rollups.SETTLE)

        started = time.perf_counter()
        roll_up()  # once: a second run has nothing left to count
        roll_s = time.perf_counter() - started
        job_t, base_t = rounds(job, baseline(db, day), repeat=args.repeat)
        check(db, day)
        job_s, base_s = statistics.median(job_t), statistics.median(base_t)
        print("                                         min /    median /       max")
        print(f"    roll-up of the day's check-ins:  {roll_s * 1000:9.1f} ms once (spread over")
        print("      the day: the 5-minute job counts what was stored since its last run)")
        print(f"(a) indicator job, one day:        {spread(job_t)}")
        print(f"    baseline COUNT(*) GROUP BY:    {spread(base_t)}")
        print(f"    ratio job / baseline (medians): {job_s / base_s:8.2f}")
        print(f"    ratio (roll-up + job) / base:   {(roll_s + job_s) / base_s:8.2f}")
        dic = Principal(
            user_id=uuid.uuid4(),
            kind="staff",
            display_name="DIC",
            grants=(Grant(Role.DIC_OFFICER, PROVINCE, f"{PROVINCE}."),),
        )
        with db.session_scope() as s:
            form = report_service.forms_over(s, area_code=PROVINCE)[0]
            province = report_service.get_unit(s, code=PROVINCE)
            week = containing(PeriodType.WEEKLY, day)
            board_t, rate_t = rounds(
                lambda: build_dashboard(s, dic, unit=PROVINCE, days=30, rank=dashboard.Rank.SIGNUP),
                lambda: report_service.rate(s, form=form, area=province, period=week),
                repeat=args.repeat,
            )
        print(f"(b) province dashboard:            {spread(board_t)}")
        print(f"    province reporting rate:       {spread(rate_t)}")
        board_s, rate_s = statistics.median(board_t), statistics.median(rate_t)
        db.dispose()
    met = board_s < 1.0 and rate_s < 1.0 and job_s < base_s
    print(
        "    targets (dashboard and rate under 1 s, job faster than the baseline): "
        + ("met" if met else "NOT met")
    )
    return 0


def check(db: Database, day: date) -> None:
    """The job's figures are the plain counts: the province's check-ins and citizens."""
    checkins, citizens = baseline(db, day)()  # type: ignore[misc]
    want = (sum(n for _, n in checkins), sum(n for _, n in citizens))
    with db.session_scope() as s:
        row = indicators.read(s, unit=IndicatorUnit.AREA, area_code=PROVINCE, first=day, last=day)[
            0
        ]
        got = (row.checkins, row.citizens)
    if got != want:
        raise SystemExit(f"the job's (check-ins, citizens) {got} differ from the raw rows {want}")
    print(f"    checked: {got[0]:,} check-ins and {got[1]:,} citizens, as the raw rows")


if __name__ == "__main__":
    raise SystemExit(main())
