"""Days are cut on the deployment's local calendar (Asia/Ho_Chi_Minh, UTC+7), not in UTC.

Between 00:00 and 07:00 in Vietnam the UTC date is still yesterday: "today" in a form, a date
limit, a daily count or a file name taken from UTC would be a day behind. The clock is frozen
at 23:30 and 00:30 local time, on both sides of the UTC midnight (07:00 local).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from epitrace import localtime
from epitrace.checkins import service as checkin_service
from epitrace.db import Database
from epitrace.declarations import service as declaration_service
from epitrace.web import exports, fields
from tests.declarations import factories as declarations
from tests.exposure.conftest import WARD

SRC = Path(__file__).resolve().parents[1] / "src" / "epitrace"
ZONE = localtime.zone()
DAY = date(2026, 3, 10)
# 00:30 on 10 March in Vietnam is 17:30 on 9 March in UTC; 23:30 local is 16:30 UTC.
HALF_PAST_MIDNIGHT = datetime.combine(DAY, time(0, 30), ZONE)
HALF_PAST_ELEVEN = datetime.combine(DAY, time(23, 30), ZONE)
CLOCKS = pytest.mark.parametrize(
    "moment", [HALF_PAST_MIDNIGHT, HALF_PAST_ELEVEN], ids=["00:30", "23:30"]
)


def test_the_clocks_sit_on_both_sides_of_the_utc_day() -> None:
    assert HALF_PAST_MIDNIGHT.astimezone(UTC).date() == DAY - timedelta(days=1)
    assert HALF_PAST_ELEVEN.astimezone(UTC).date() == DAY


@CLOCKS
def test_today_and_day_bounds_are_local(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        assert localtime.today() == DAY
        assert fields.local_today() == DAY
        assert checkin_service.local_today() == DAY
        start, end = checkin_service.local_day_bounds(DAY)
        assert start == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
        assert end - start == timedelta(days=1)
        assert start <= moment < end


@CLOCKS
def test_export_file_names_carry_the_local_day(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        assert exports.filename("cach ly", ext="csv") == "cach-ly-2026-03-10.csv"


@CLOCKS
def test_a_verification_code_for_a_test_taken_today_is_issued(
    moment: datetime, client: TestClient, make_staff: Any, places: Any
) -> None:
    with time_machine.travel(moment, tick=True):
        officer = make_staff("health_officer", "79")
        url = "/api/v1/exposure/verification-codes"
        today = {"area_code": WARD, "test_date": DAY.isoformat(), "onset_date": DAY.isoformat()}
        response = client.post(url, json=today, headers=officer)
        assert response.status_code == 201, response.text
        tomorrow = {**today, "test_date": (DAY + timedelta(days=1)).isoformat()}
        assert client.post(url, json=tomorrow, headers=officer).status_code == 422
        # the page's date pickers stop at the local today
        page = client.get("/exposure/codes", headers=officer)
        assert page.status_code == 200
        assert f'max="{DAY.isoformat()}"' in page.text


def test_declarations_are_counted_on_the_local_day(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        for moment in (
            HALF_PAST_MIDNIGHT,
            HALF_PAST_ELEVEN,
            HALF_PAST_MIDNIGHT - timedelta(hours=1),
        ):
            declarations.declare(s, now=moment.astimezone(UTC))
        rows = declaration_service.count_per_ward_day(
            s, area_path=None, since=HALF_PAST_MIDNIGHT - timedelta(days=2)
        )
    per_day = {r.day: r.declarations for r in rows}
    assert per_day == {DAY: 2, DAY - timedelta(days=1): 1}


# Ways of taking a day that ignore the deployment's zone. Phones' exposure keys count UTC days
# by protocol (exposure/schedule.py, device.py): those compare UTC moments, never "today".
FORBIDDEN = (
    re.compile(r"\bdate\.today\("),
    re.compile(r"now\(UTC\)\.date\(\)"),
    re.compile(r"utcnow\(\)\.date\(\)"),
    re.compile(r"\bZoneInfo\("),
)
# the day partitions of presences are UTC days by design (docs/performance.md), not local ones
ALLOWED = {"localtime.py", "config.py", "partitions.py", "2026_11_30_27_presence_partitions.py"}


def test_only_localtime_names_the_zone_or_cuts_days() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in FORBIDDEN):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == [], "use epitrace.localtime (today, local_date, day_bounds):\n" + (
        "\n".join(offenders)
    )
