"""Reporting-chain benchmark: the reporting rate of a large province.

`python -m bench.reports` seeds a three-level province (by default 3,321 wards in districts of
about 30, the size of the whole country's wards after the 2025 reform), a weekly form that
districts and wards submit, and reports for most units (submitted, some late, some
approved), then measures beside a baseline from the same run:
- the reporting rate of the province (every district's row and the lagging units) against a
  bare `count(*) … GROUP BY status` of the same period's reports;
- the rate of one district, and the children check of approving a district's report.
Target: the province's rate well under 1 s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from epitrace import migrations
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.rollout import reports as report_service
from epitrace.rollout.models import IndicatorUnit, Report, ReportStatus
from epitrace.rollout.periods import PeriodType, parse

WEEK = parse(PeriodType.WEEKLY, "2026-W40")


def timed(func: Callable[[], object], repeat: int) -> float:
    """Seconds per call, best of three rounds of `repeat` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            func()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def seed(db: Database, wards: int) -> uuid.UUID:
    per_district = 30
    rows = [UnitRow("90", "Tỉnh Đo Đạc", "tỉnh", None, 10_000_000)]
    for n in range(wards):
        district = f"9{n // per_district:04d}"
        if n % per_district == 0:
            rows.append(UnitRow(district, f"Huyện {district}", "huyện", "90", None))
        rows.append(UnitRow(f"{district}{n % per_district:02d}", f"Xã {n}", "xã", district, 3000))
    rng = random.Random(7)
    deadline = WEEK.deadline(1)
    with db.session_scope() as s:
        place_service.load(s, rows)
        form = report_service.create_form(
            s,
            name="Báo cáo tuần",
            area_code="90",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["district", "ward"],
            created_by=None,
        )
        values = []
        for row in rows[1:]:
            draw = rng.random()
            if draw < 0.15:
                continue  # nothing yet
            status = (
                ReportStatus.DRAFT
                if draw < 0.25
                else ReportStatus.APPROVED
                if draw < 0.6
                else ReportStatus.SUBMITTED
            )
            sent = deadline + timedelta(hours=rng.randint(-48, 24))
            values.append(
                {
                    "id": uuid.uuid4(),
                    "form_id": form.id,
                    "unit_type": IndicatorUnit.AREA,
                    "unit_key": row.code,
                    "unit_code": row.code,
                    "sector": "",
                    "period_start": WEEK.start,
                    "period_end": WEEK.end,
                    "status": status,
                    "results": "",
                    "difficulties": "",
                    "proposals": "",
                    "review_comment": "",
                    "first_submitted_at": None if status is ReportStatus.DRAFT else sent,
                    "submitted_at": None if status is ReportStatus.DRAFT else sent,
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
            )
        s.execute(insert(Report), values)
        return form.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=3321)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    import_models()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrations.upgrade(url)
        db = Database(url)
        started = time.perf_counter()
        form_id = seed(db, args.wards)
        print(
            f"seeded {args.wards} wards and their reports in {time.perf_counter() - started:.1f} s"
        )
        with db.session_scope() as s:
            form = report_service.get_form(s, form_id=form_id)
            province = report_service.get_unit(s, code="90")
            district = report_service.get_unit(s, code="90000")

            def province_rate() -> object:
                return report_service.rate(s, form=form, area=province, period=WEEK)

            def baseline() -> object:
                return s.execute(
                    select(Report.status, func.count())
                    .where(Report.form_id == form.id, Report.period_start == WEEK.start)
                    .group_by(Report.status)
                ).all()

            result = report_service.rate(s, form=form, area=province, period=WEEK)
            print(
                f"province: {result.total.expected} expected, {result.total.submitted} "
                f"submitted, {result.total.approved} approved, {len(result.lagging)} lagging"
            )
            rate_s = timed(province_rate, args.repeat)
            base_s = timed(baseline, args.repeat)
            print(f"reporting rate of the province: {rate_s * 1000:8.1f} ms")
            print(f"  baseline count(*) GROUP BY:    {base_s * 1000:8.1f} ms")
            one = timed(
                lambda: report_service.rate(s, form=form, area=district, period=WEEK), args.repeat
            )
            print(f"reporting rate of one district:  {one * 1000:8.1f} ms")
            check = timed(
                lambda: report_service.pending_children(s, form=form, unit=district, period=WEEK),
                args.repeat,
            )
            print(f"children check of a district:    {check * 1000:8.1f} ms")
        db.dispose()
    return 0 if rate_s < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
