"""The whole loop as officials work it, at 00:30 Vietnam time.

A citizen checks in with a neighbour; the laboratory reports the case by phone number only;
the health officer sees the match, confirms it, traces and gets the F1, orders the F0's
isolation and the F1's home quarantine from the case page; the ward official of their ward
sees both on the quarantine list.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page

from epitrace import localtime
from epitrace.accounts.models import UserAccount
from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import sign_in_staff
from tests.tracing import factories as f

# 00:30 local today: the hour at which UTC is still yesterday
NIGHT = datetime.combine(localtime.today(), time(0, 30), tzinfo=localtime.zone())


@pytest.fixture
def half_past_midnight() -> Iterator[datetime]:
    with time_machine.travel(NIGHT, tick=True):
        yield NIGHT


def _minutes(at: datetime) -> float:
    return (at - f.T0).total_seconds() / 60


def test_case_by_phone_match_trace_orders_and_the_wards_list(
    half_past_midnight: datetime, page: Page, db: Database, places: Any
) -> None:
    evening = half_past_midnight - timedelta(hours=6)  # 18:30 yesterday, local
    with db.session_scope() as s:
        factories.staff(s, username="yte-tinh", role="health_officer", area="79")
        factories.staff(s, username="phuong-bt", role="ward_official", area="26743")
        # the F0 signed up by phone and never filled in a ward; the neighbour lives in Bến Thành
        sick = f.person(s, "Hồ Văn Nam", ward=None, phone="+84912000001")  # type: ignore[arg-type]
        neighbour = f.person(s, "Mạc Thị Lan", ward="26743", phone="+84912000002")
        for person in (sick, neighbour):
            s.add(UserAccount(kind="citizen", phone=person.phone, person_id=person.id))
        market = f.venue(s)
        start = _minutes(evening)
        f.presence(s, venue=market, who=sick, start=start, end=start + 40)
        f.presence(s, venue=market, who=neighbour, start=start + 5, end=start + 45)

    sign_in_staff(page, "yte-tinh", factories.STAFF_PASSWORD)
    page.goto("/cases")
    page.get_by_test_id("new-case").click()
    page.fill("#phone", "0912 000 001")  # the laboratory's list: a phone number only
    page.fill("#ward_code", "26743")
    page.fill("#sampled_at", (half_past_midnight - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("save-case").click()

    candidates = page.get_by_test_id("person-candidates")
    assert "Hồ Văn Nam" in candidates.inner_text()
    assert "091****001" in candidates.inner_text()
    page.get_by_test_id("candidate").first.check()
    page.get_by_test_id("save-case").click()
    page.wait_for_url("**/cases/*")
    assert "Hồ Văn Nam" in page.locator("h1").inner_text()

    page.get_by_test_id("run-trace").click()
    page.wait_for_selector("[data-testid=f1-table]")
    assert page.get_by_test_id("f1-count").inner_text() == "F1: 1"
    assert "Mạc Thị Lan" in page.get_by_test_id("f1-table").inner_text()
    assert page.get_by_test_id("no-checkins").count() == 0

    page.fill("#facility_name", "Bệnh viện dã chiến số 1")
    page.get_by_role("button", name="Yêu cầu cách ly F0").click()
    page.wait_for_url("**/cases/*")
    assert "403" not in page.title()
    page.get_by_test_id("f1-table").get_by_role("button").click()
    page.wait_for_url("**/cases/*")
    assert "403" not in page.title()

    page.context.clear_cookies()
    sign_in_staff(page, "phuong-bt", factories.STAFF_PASSWORD)
    page.goto("/quarantine")
    listed = page.get_by_test_id("quarantine-table").inner_text()
    assert "Mạc Thị Lan" in listed and "Hồ Văn Nam" in listed
