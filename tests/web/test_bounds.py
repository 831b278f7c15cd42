"""Dates and numbers are bounded at the edge: out-of-range values are a 422, never a 500.

Regression tests for the defects an outside probe found (a case dated year 0001 broke every
trace, the hotspot API and the zoning page; huge offsets and thresholds; day=0001-01-01;
quarantine starting 9999-12-31), and property tests of the shared bounded types.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from epitrace import localtime
from epitrace.db import Database
from epitrace.errors import InvalidInput
from epitrace.web import fields
from tests.tracing import factories as f

NOW = datetime.now(UTC)
HUGE = "9" * 30


def _person(db: Database, name: str = "Lê Văn Tám") -> str:
    with db.session_scope() as s:
        return str(f.person(s, name).id)


# -- the shared types ----------------------------------------------------------------------

MEDICAL_DATE: TypeAdapter[date] = TypeAdapter(fields.MedicalDate)
MEDICAL_TIME: TypeAdapter[datetime] = TypeAdapter(fields.MedicalDateTime)
BIRTH_YEAR: TypeAdapter[int] = TypeAdapter(fields.BirthYear)


@given(st.dates())
def test_medical_dates_are_accepted_exactly_inside_the_range(day: date) -> None:
    inside = fields.EARLIEST_MEDICAL_DATE <= day <= fields.latest_medical_date()
    try:
        MEDICAL_DATE.validate_python(day)
    except ValidationError as exc:
        assert not inside
        assert exc.errors()[0]["type"] == "date_out_of_range"
    else:
        assert inside


@given(st.datetimes(timezones=st.just(UTC)))
def test_medical_times_are_accepted_exactly_inside_the_range(when: datetime) -> None:
    inside = fields.earliest_medical_datetime() <= when <= fields.latest_medical_datetime()
    try:
        MEDICAL_TIME.validate_python(when)
    except ValidationError:
        assert not inside
    else:
        assert inside


@given(st.integers())
def test_birth_years_from_1900_to_this_year(year: int) -> None:
    inside = 1900 <= year <= localtime.today().year
    try:
        BIRTH_YEAR.validate_python(year)
    except ValidationError:
        assert not inside
    else:
        assert inside


@given(st.text(max_size=12))
def test_form_numbers_never_raise(raw: str) -> None:
    value, problem, _ = fields.parse_form_int(raw, minimum=1, maximum=1000)
    assert (value is None) or (problem is None and 1 <= value <= 1000)
    year, problem, _ = fields.parse_form_birth_year(raw)
    assert year is None or year >= 1900
    day, problem, _ = fields.parse_form_date(raw)
    assert day is None or fields.date_range_problem(day) is None


def test_naive_times_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        MEDICAL_TIME.validate_python("2026-11-20T08:00:00")
    assert caught.value.errors()[0]["type"] == "timezone_aware"


# -- the defects ---------------------------------------------------------------------------


def test_a_case_dated_year_0001_is_refused_and_tracing_keeps_working(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    officer = make_staff("health_officer", "79")
    person = _person(db)
    for field in ("sampled_at", "onset_at", "isolated_at"):
        body = {"person_id": person, "sampled_at": (NOW - timedelta(days=1)).isoformat()}
        body[field] = "0001-01-01T00:00:00+00:00"
        response = client.post("/api/v1/cases", json=body, headers=officer)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "01/01/2019" in response.json()["errors"][field]
    far = client.post(
        "/api/v1/cases",
        json={"person_id": person, "sampled_at": "9999-12-31T23:59:59+00:00"},
        headers=officer,
    )
    assert far.status_code == 422
    test = client.post(
        "/api/v1/tests",
        json={"person_id": person, "test_type": "pcr", "sampled_at": "0001-01-01T00:00:00Z"},
        headers=officer,
    )
    assert test.status_code == 422
    # the same through the officers' form
    form = client.post(
        "/cases/new",
        data={"person_id": person, "test_type": "pcr", "sampled_at": "0001-01-01T00:00"},
        headers=officer,
    )
    assert form.status_code == 422
    assert "01/01/2019" in form.text

    case = client.post(
        "/api/v1/cases",
        json={"person_id": person, "sampled_at": (NOW - timedelta(days=1)).isoformat()},
        headers=officer,
    )
    assert case.status_code == 201
    assert client.post(f"/api/v1/cases/{case.json()['id']}/trace", headers=officer).is_success
    assert client.get("/api/v1/tracing/hotspots/79", headers=officer).status_code == 200
    assert client.get("/api/v1/tracing/clusters/79", headers=officer).status_code == 200
    assert client.get("/tracing/79", headers=officer).status_code == 200


def test_the_services_refuse_out_of_range_medical_times(db: Database, places: Any) -> None:
    from epitrace.cases import service as case_service
    from epitrace.cases.models import QuarantineKind, TestType

    with db.session_scope() as s:
        person = f.person(s)
        with pytest.raises(InvalidInput) as caught:
            case_service.create_case(
                s,
                person=person,
                ward_code=None,
                test_type=TestType.PCR,
                sampled_at=datetime(1, 1, 1, tzinfo=UTC),
                onset_at=None,
                isolated_at=None,
            )
        assert set(caught.value.fields) == {"sampled_at"}
        with pytest.raises(InvalidInput):
            case_service.issue_order(
                s,
                person=person,
                reason="f1",
                kind=QuarantineKind.HOME,
                ward_code=None,
                starts_at=datetime(9999, 12, 31, tzinfo=UTC),
            )


def test_quarantine_starting_in_year_9999_is_refused(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    officer = make_staff("health_officer", "79")
    person = _person(db)
    for starts in ("9999-12-31T00:00:00+00:00", "0001-01-01T00:00:00+00:00"):
        response = client.post(
            "/api/v1/quarantine",
            json={"person_id": person, "reason": "f1", "kind": "home", "starts_at": starts},
            headers=officer,
        )
        assert response.status_code == 422, response.text
        assert set(response.json()["errors"]) == {"starts_at"}


def test_days_out_of_range_on_counts(client: TestClient, places: Any, make_staff: Any) -> None:
    official = make_staff("ward_official", "79")
    for url in (
        "/api/v1/checkins/counts?day=0001-01-01",
        "/api/v1/checkins/counts?day=9999-12-31",
        "/checkins/counts?day=0001-01-01",
        "/checkins/counts.xlsx?day=0001-01-01",
    ):
        response = client.get(url, headers=official)
        assert response.status_code == 422, (url, response.text)


def test_door_log_of_year_0001(client: TestClient, db: Database, places: Any) -> None:
    from epitrace.accounts import service as account_service
    from epitrace.security.roles import Role
    from epitrace.venues import service as venue_service
    from epitrace.venues.models import VenueCategory
    from tests import factories

    with db.session_scope() as s:
        operator = account_service.create_staff(
            s,
            username="door",
            password=factories.STAFF_PASSWORD,
            granter=None,
            grants=[(Role.VENUE_OPERATOR, "79")],
        )
        venue = venue_service.create(
            s, name="Chợ", category=VenueCategory.MARKET, ward_code="26743"
        )
        venue_service.add_operator(s, venue=venue, user_id=operator.id)
        venue_id = venue.id
    headers = factories.token_headers(client, username="door")
    for day in ("0001-01-01", "9999-12-31"):
        log = client.get(f"/api/v1/venues/{venue_id}/door-log?day={day}", headers=headers)
        assert log.status_code == 422, log.text
        page = client.get(f"/venues/{venue_id}/door?day={day}", headers=headers)
        assert page.status_code == 422
    assert client.get(f"/api/v1/venues/{venue_id}/door-log", headers=headers).status_code == 200


HUGE_NUMBERS = [
    ("health_officer", f"/api/v1/tracing/hotspots/79?min_presences={HUGE}"),
    ("health_officer", "/api/v1/tracing/hotspots/79?min_presences=10000000"),
    ("health_officer", f"/api/v1/tracing/hotspots/79?days={HUGE}"),
    ("health_officer", f"/api/v1/tracing/clusters/79?days={HUGE}"),
    ("health_officer", f"/api/v1/venues?offset={HUGE}"),
    ("health_officer", "/api/v1/venues?offset=100001"),
    ("system_admin", f"/api/v1/audit?offset={HUGE}"),
    ("system_admin", "/api/v1/audit?offset=9223372036854775808"),
    ("health_officer", f"/api/v1/exposure/counts?days={HUGE}"),
    ("health_officer", f"/exposure/counts?days={HUGE}"),
    ("ward_official", f"/declarations/review?days={HUGE}"),
]


def test_huge_numbers_are_refused(client: TestClient, places: Any, make_staff: Any) -> None:
    headers = {
        role: make_staff(role, None if role == "system_admin" else "79")
        for role in {role for role, _ in HUGE_NUMBERS}
    }
    for role, url in HUGE_NUMBERS:
        response = client.get(url, headers=headers[role])
        assert response.status_code == 422, (url, response.text)


def test_largest_allowed_offset_still_answers(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    officer = make_staff("health_officer", "79")
    response = client.get(f"/api/v1/venues?offset={fields.MAX_OFFSET}", headers=officer)
    assert response.status_code == 200
    hotspots = client.get(
        f"/api/v1/tracing/hotspots/79?min_presences={fields.MAX_COUNT}", headers=officer
    )
    assert hotspots.status_code == 200


def test_form_numbers_in_odd_digits_are_refused_not_crashed(
    client: TestClient, citizen: Any
) -> None:
    headers = citizen()
    for value in ("²", "１９９０", "0999", HUGE[:4]):
        response = client.post(
            "/me/dependents",
            data={"full_name": "Bà Nội", "birth_year": value},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 422, (value, response.status_code)
    api = client.post(
        "/api/v1/me/dependents", json={"full_name": "Bà Nội", "birth_year": 3000}, headers=headers
    )
    assert api.status_code == 422
    assert api.json()["errors"]["birth_year"].startswith("Hãy nhập năm trong khoảng 1900")
