"""Rollout-oversight benchmark: the nightly indicator job, the dashboard, the reporting rate.

`python -m bench.rollout` seeds a province (by default 300 wards in districts of 30, 300,000
people of whom 70 % signed up, 9,000 venues and 600,000 check-ins on the measured day; raise
`--wards`, `--people`, `--venues` and `--checkins` towards 3,321 wards, 10 M people, 300 k
venues and 20 M check-ins a day on PostgreSQL with `--database-url`), then measures beside a
baseline from the same run:
- (a) the indicator job for one day (every ward, every unit above, every sector and
  organisation) against a plain `COUNT(*) … GROUP BY ward` of the same day's check-ins,
  sign-ups and declarations — the least any per-ward report has to read;
- (b) the province dashboard (headline, trends, children, sectors, organisations, map) and the
  province's reporting rate on a weekly form.
Check-ins reach the job through the per-venue daily roll-up (`rollout.rollups`), which a
5-minute job keeps up to date during the day; the benchmark runs it once over the seeded day
and prints its cost apart, then the nightly job (which reads one row per active venue) and
both ratios. Targets: dashboard and reporting rate under 1 s; the nightly job faster than the
plain query.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

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
from epitrace.rollout.periods import PeriodType, containing
from epitrace.security.permissions import Grant, Principal
from epitrace.security.roles import Role
from epitrace.venues.models import Venue, VenueCategory

PROVINCE = "90"
BATCH = 20_000


def timed(func: Callable[[], object], repeat: int) -> float:
    """Seconds per call, best of three rounds of `repeat` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            func()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def _insert(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        with db.session_scope() as s:
            s.execute(insert(model), rows[start : start + BATCH])


def seed(db: Database, *, wards: int, people: int, venues: int, checkins: int, day: date) -> None:
    rng = random.Random(11)
    per_district = 30
    units = [UnitRow(PROVINCE, "Tỉnh Đo Đạc", "tỉnh", None, people)]
    codes = []
    for n in range(wards):
        district = f"9{n // per_district:04d}"
        if n % per_district == 0:
            units.append(UnitRow(district, f"Huyện {district}", "huyện", PROVINCE, None))
        code = f"{district}{n % per_district:02d}"
        codes.append(code)
        units.append(UnitRow(code, f"Xã {n}", "xã", district, people // wards))
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
    start, _end = localtime.day_bounds(day)
    earlier = start - timedelta(days=2)
    person_rows, account_rows = [], []
    for i in range(people):
        pid = uuid.uuid4()
        person_rows.append(
            {
                "id": pid,
                "full_name": f"Người {i}",
                "ward_code": codes[i % wards],
                "pseudonym": uuid.uuid4().hex[:24],
            }
        )
        if rng.random() < 0.7:
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
            "ward_code": codes[n % wards],
            "created_at": earlier,
        }
        for n in range(venues)
    ]
    _insert(db, Venue, venue_rows)
    # most venues are busy, some are never used
    busy = venue_rows[: int(venues * 0.8)]
    presence_rows = []
    for _ in range(checkins):
        venue = busy[rng.randrange(len(busy))]
        person = person_rows[rng.randrange(people)]
        entered = start + timedelta(seconds=rng.randrange(86_400))
        presence_rows.append(
            {
                "id": uuid.uuid4(),
                "venue_id": venue["id"],
                "ward_code": venue["ward_code"],
                "person_id": person["id"],
                "entered_at": entered,
                "method": PresenceMethod.SELF_SCAN,
            }
        )
        if len(presence_rows) >= BATCH:
            _insert(db, Presence, presence_rows)
            presence_rows = []
    _insert(db, Presence, presence_rows)


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=300)
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--venues", type=int, default=9_000)
    parser.add_argument("--checkins", type=int, default=600_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a temporary SQLite file; give an empty scratch database (it is filled)",
    )
    args = parser.parse_args()
    import_models()
    day = localtime.today() - timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrations.upgrade(url)
        db = Database(url)
        started = time.perf_counter()
        seed(
            db,
            wards=args.wards,
            people=args.people,
            venues=args.venues,
            checkins=args.checkins,
            day=day,
        )
        print(
            f"seeded {args.wards} wards, {args.people:,} people, {args.venues:,} venues, "
            f"{args.checkins:,} check-ins in {time.perf_counter() - started:.1f} s"
        )

        def job() -> object:
            with db.session_scope() as s:
                return indicators.compute_day(
                    s, day, smartphone_share=0.75, force=True, now=datetime.now(UTC)
                )

        def roll_up() -> object:
            # as if the day were over: everything seeded has settled
            with db.session_scope() as s:
                return rollups.catch_up(s, now=datetime.now(UTC) + rollups.SETTLE)

        roll_s = timed(roll_up, 1)
        job_s = timed(job, args.repeat)
        base_s = timed(baseline(db, day), args.repeat)
        print(f"    roll-up of the day's check-ins: {roll_s * 1000:9.1f} ms (spread over the day:")
        print("      the 5-minute job counts what was stored since its last run)")
        print(f"(a) indicator job, one day:       {job_s * 1000:9.1f} ms")
        print(f"    baseline COUNT(*) GROUP BY:   {base_s * 1000:9.1f} ms")
        print(f"    ratio job / baseline:         {job_s / base_s:9.2f}")
        print(f"    ratio (roll-up + job) / base: {(roll_s + job_s) / base_s:9.2f}")
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
            board_s = timed(
                lambda: build_dashboard(s, dic, unit=PROVINCE, days=30, rank=dashboard.Rank.SIGNUP),
                args.repeat,
            )
            rate_s = timed(
                lambda: report_service.rate(s, form=form, area=province, period=week),
                args.repeat,
            )
        print(f"(b) province dashboard:           {board_s * 1000:9.1f} ms")
        print(f"    province reporting rate:      {rate_s * 1000:9.1f} ms")
        db.dispose()
    return 0 if board_s < 1.0 and rate_s < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
