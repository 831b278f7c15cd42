"""Fixtures of the exposure tests: a health officer, codes, keys of a simulated phone."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from epitrace import localtime
from epitrace.exposure import schedule

WARD = "26743"  # inside area 79
WARD_OUTSIDE = "00070"  # in area 01


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def today() -> date:
    """The local calendar's today, which officers and code dates use."""
    return localtime.today()


def day_keys(
    days: int, *, now: datetime | None = None, period_today: bool = True
) -> list[dict[str, Any]]:
    """Keys of the last `days` days as a phone uploads them (today's cut at now)."""
    now = now or datetime.now(UTC)
    enin = schedule.en_interval_number(now)
    current = schedule.rolling_start(enin)
    keys = []
    for back in range(days, 0, -1):
        keys.append(
            {
                "key_data": b64(schedule.new_tek()),
                "rolling_start_interval_number": current - back * 144,
                "rolling_period": 144,
            }
        )
    if period_today and enin > current:
        keys.append(
            {
                "key_data": b64(schedule.new_tek()),
                "rolling_start_interval_number": current,
                "rolling_period": enin - current,
            }
        )
    return keys


@pytest.fixture
def officer(make_staff: Any, places: Any) -> dict[str, str]:
    """Bearer headers of a health officer of area 79."""
    return dict(make_staff("health_officer", "79"))


@pytest.fixture
def issue(client: TestClient, officer: dict[str, str]) -> Any:
    """Issue a verification code through the API; returns the response body."""

    def _issue(**body: Any) -> dict[str, Any]:
        payload = {"area_code": WARD, "test_date": today().isoformat()}
        payload.update(body)
        response = client.post("/api/v1/exposure/verification-codes", json=payload, headers=officer)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return _issue


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()
