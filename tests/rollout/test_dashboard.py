"""The province dashboard on seeded indicator rows: headline figures at the last computed
day, period sums, league tables of child units, sectors and organisations, the coverage
map, the JSON twin of the page, and the refusals."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.db import Database
from epitrace.places.models import AdminUnit
from epitrace.rollout import dashboard, indicators, reports
from epitrace.rollout.periods import PeriodType
from tests.places.test_service import count_queries
from tests.rollout.dashboard_factories import area_row, seed, ward_squares


@pytest.fixture
def seeded(db: Database, places: Any) -> dict[str, Any]:
    return seed(db)


# -- the service ---------------------------------------------------------------------------


def test_scores_and_classes_follow_the_definitions(session: Any) -> None:
    row = area_row(date(2026, 11, 1), "99", 1000, 250, 4, 1)
    assert indicators.signup_target(row) == 500
    assert dashboard.score(row, dashboard.Rank.SIGNUP) == 0.5
    assert dashboard.score(row, dashboard.Rank.ACTIVE) == 0.25
    assert dashboard.coverage_class(row) == 2  # 50 %: between 40 and 60
    row.citizens = 400
    assert dashboard.coverage_class(row) == 4  # 80 % and above: the last class
    row.citizens = 0
    assert dashboard.coverage_class(row) == 0
    row.population = None
    assert dashboard.score(row, dashboard.Rank.SIGNUP) is None
    assert dashboard.coverage_class(row) is None
    assert dashboard.coverage_class(None) is None
    row.venues = 0
    assert dashboard.score(row, dashboard.Rank.ACTIVE) is None


def test_ranked_puts_units_without_figures_last(session: Any) -> None:
    day = date(2026, 11, 1)
    items = [
        dashboard.Ranked("a", "A", None),
        dashboard.Ranked("b", "B", area_row(day, "b", 100, 10, 10, 9)),
        dashboard.Ranked("c", "C", area_row(day, "c", 100, 40, 10, 1)),
    ]
    assert [i.key for i in dashboard.ranked(items, dashboard.Rank.SIGNUP)] == ["c", "b", "a"]
    assert [i.key for i in dashboard.ranked(items, dashboard.Rank.ACTIVE)] == ["b", "c", "a"]


# -- the JSON twin ---------------------------------------------------------------------------


def test_api_headline_trend_and_league_of_the_province(
    client: TestClient, make_staff: Any, seeded: dict[str, Any]
) -> None:
    headers = make_staff("province_official", "99")
    response = client.get("/api/v1/rollout/dashboard?unit=99&days=30", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unit"] == {"code": "99", "name": "Tỉnh Thử Nghiệm"}
    assert body["to"] == localtime.today().isoformat()
    assert body["day"] == seeded["last"].isoformat()
    latest = body["latest"]
    assert latest["citizens"] == 300_000
    assert latest["signup_target"] == 500_000
    assert latest["citizens_pct"] == 60.0
    assert latest["venues_active_pct"] == 50.0
    assert body["period_declarations"] == 3 * 7
    assert body["period_checkins"] == 3 * 100
    assert [d["day"] for d in body["days"]] == [
        (seeded["first_seeded"] + timedelta(days=n)).isoformat() for n in range(3)
    ]
    assert [d["citizens"] for d in body["days"]] == [100_000, 200_000, 300_000]
    # child units, best sign-up coverage first
    assert [c["key"] for c in body["children"]] == ["992", "991"]
    assert body["children"][0]["figures"]["citizens_pct"] == 80.0
    assert [s["key"] for s in body["sectors"]] == ["education", "health"]
    # 22 organisations with a roster are ranked; the best and worst ten do not overlap
    assert body["organisations_ranked"] == 23
    best = [o["name"] for o in body["organisations_best"]]
    worst = [o["name"] for o in body["organisations_worst"]]
    assert best == [f"Đơn vị {n:02d}" for n in range(21, 11, -1)]
    assert worst == [f"Đơn vị {n:02d}" for n in range(10)]
    assert "Đơn vị Hà Nội" not in best + worst
    assert all(o["key"] for o in body["organisations_best"])


def test_api_ranks_by_active_venues(
    client: TestClient, make_staff: Any, seeded: dict[str, Any]
) -> None:
    headers = make_staff("dic_officer", "99")
    body = client.get("/api/v1/rollout/dashboard?unit=99&rank=active", headers=headers).json()
    # 992: 10 of 10 active; 991: 10 of 30
    assert [c["key"] for c in body["children"]] == ["992", "991"]
    body = client.get("/api/v1/rollout/dashboard?unit=991&rank=active", headers=headers).json()
    assert [c["key"] for c in body["children"]] == ["99101", "99102"]  # 50 % before 25 %
    # organisations without a venue are not ranked by active venues
    assert all(o["figures"]["venues"] > 0 for o in body["organisations_best"])


def test_api_defaults_to_the_home_area_and_a_period_without_rows(
    client: TestClient, make_staff: Any, seeded: dict[str, Any]
) -> None:
    headers = make_staff("district_official", "991")
    body = client.get("/api/v1/rollout/dashboard", headers=headers).json()
    assert body["unit"]["code"] == "991"
    assert body["from"] == (localtime.today() - timedelta(days=29)).isoformat()
    assert [c["key"] for c in body["children"]] == ["99102", "99101"]  # 36 % before 20 %
    # one day: today, not computed yet
    body = client.get("/api/v1/rollout/dashboard?days=1", headers=headers).json()
    assert body["day"] is None
    assert body["latest"] is None
    assert body["days"] == []
    assert [c["figures"] for c in body["children"]] == [None, None]
    assert body["organisations_best"] == []
    assert body["organisations_ranked"] == 0


def test_refusals_are_clear(client: TestClient, make_staff: Any, seeded: dict[str, Any]) -> None:
    headers = make_staff("district_official", "991")
    assert client.get("/api/v1/rollout/dashboard?unit=992", headers=headers).status_code == 403
    assert client.get("/api/v1/rollout/dashboard?unit=99", headers=headers).status_code == 403
    missing = client.get("/api/v1/rollout/dashboard?unit=00000", headers=headers)
    assert missing.status_code == 404
    for bad in ("days=0", "days=367", "days=x", "rank=best"):
        response = client.get(f"/api/v1/rollout/dashboard?unit=991&{bad}", headers=headers)
        assert response.status_code == 422, bad
    page = client.get("/rollout/dashboard?unit=991&days=0", headers=headers)
    assert page.status_code == 422
    assert "text/html" in page.headers["content-type"]
    # citizens, venue operators and organisation admins see no dashboard
    for role in ("venue_operator", "org_admin", "sector_director"):
        other = make_staff(role, "99")
        assert client.get("/api/v1/rollout/dashboard?unit=99", headers=other).status_code == 403
    assert client.get("/api/v1/rollout/dashboard?unit=99").status_code == 401


# -- the page ----------------------------------------------------------------------------


def test_page_shows_figures_charts_data_league_and_drill_down_links(
    client: TestClient, make_staff: Any, seeded: dict[str, Any]
) -> None:
    headers = make_staff("dic_officer", "99")
    response = client.get("/rollout/dashboard?unit=99&days=7", headers=headers)
    assert response.status_code == 200, response.text
    html = response.text
    assert 'data-testid="headline"' in html
    assert 'data-testid="hl-citizens-pct">60,0%' in html
    assert 'href="/rollout/dashboard?unit=992&amp;days=7&amp;rank=signup"' in html
    org = seeded["orgs"]["Đơn vị 21"]
    assert f'href="/rollout/organisations/{org}"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    start = html.index('<script type="application/json" id="dashboard-data">')
    data = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert data["citizens"] == [100_000, 200_000, 300_000]
    assert data["target"] == [500_000] * 3
    # no shapes imported: the ranked list stands in for the map
    assert 'data-testid="map-empty"' in html
    assert 'data-testid="map-table"' in html
    assert 'data-testid="reporting-rate-slot"' in html
    assert "<script>" not in html  # nothing inline (CSP)


def test_page_draws_the_wards_coloured_by_coverage(
    client: TestClient, db: Database, make_staff: Any, seeded: dict[str, Any]
) -> None:
    ward_squares(db)
    headers = make_staff("province_official", "99")
    html = client.get("/rollout/dashboard?unit=99", headers=headers).text
    assert 'data-testid="coverage-map"' in html
    # 99201: 240,000 of 300,000 (80 %) → the darkest class; 99101: 15,000 of 75,000 (20 %)
    assert 'fill="#045a8d" stroke="#555" stroke-width="0.8" data-code="99201"' in html
    assert 'fill="#bdc9e1" stroke="#555" stroke-width="0.8" data-code="99101"' in html
    assert "<title>Xã Hai A: 80,0%</title>" in html
    # the wards are not the child units (districts): the map has its own table
    assert 'data-testid="map-table"' in html


def test_ward_official_sees_their_ward_without_units_below(
    client: TestClient, make_staff: Any, seeded: dict[str, Any]
) -> None:
    headers = make_staff("ward_official", "99101")
    response = client.get("/rollout/dashboard", headers=headers)
    assert response.status_code == 200
    assert "Xã Một A" in response.text
    assert 'data-testid="league-units"' not in response.text
    assert client.get("/rollout/dashboard?unit=99102", headers=headers).status_code == 403


def test_page_without_any_computed_day(client: TestClient, make_staff: Any, places: Any) -> None:
    headers = make_staff("province_official", "79")
    response = client.get("/rollout/dashboard", headers=headers)
    assert response.status_code == 200
    assert 'data-testid="dashboard-empty"' in response.text
    assert 'id="dashboard-data"' not in response.text


def test_reads_are_a_fixed_number_of_queries(db: Database, session: Session, places: Any) -> None:
    """However many units and organisations, each part of the dashboard is one or two
    statements (the dashboard reads stored rows only)."""
    seeded = seed(db)
    area = session.get(AdminUnit, "99")
    assert area is not None
    day = seeded["last"]
    statements = count_queries(session)
    assert len(dashboard.series(session, area_code="99", first=day, last=day)) == 1
    assert len(statements) == 1
    statements.clear()
    assert len(dashboard.children(session, area=area, day=day)) == 2
    assert len(statements) == 2  # the children, their rows
    statements.clear()
    assert len(dashboard.map_units(session, area=area, day=day)) == 3
    assert len(statements) == 3  # the wards, the children (no ward has a shape), the rows
    statements.clear()
    best = dashboard.organisations(
        session, area=area, day=day, rank=dashboard.Rank.SIGNUP, best=True
    )
    assert len(best) == dashboard.LEAGUE_SIZE
    assert dashboard.count_organisations(session, area=area, day=day) == 23
    assert len(dashboard.sectors(session, area_code="99", day=day)) == 2
    assert len(statements) == 3


def test_map_falls_back_to_the_child_units_shapes(
    client: TestClient, db: Database, make_staff: Any, seeded: dict[str, Any]
) -> None:
    """Districts with shapes and wards without: the districts are drawn, and their table is
    the league table (one table, not two)."""
    with db.session_scope() as s:
        for code, x in (("991", 105.0), ("992", 105.2)):
            point = json.dumps({"type": "Point", "coordinates": [x, 10.0]})
            s.execute(update(AdminUnit).where(AdminUnit.code == code).values(geometry=point))
    headers = make_staff("province_official", "99")
    html = client.get("/rollout/dashboard?unit=99", headers=headers).text
    assert 'data-testid="coverage-map"' in html
    assert html.count("<circle ") == 2
    assert "<title>Huyện Một: 30,0%</title>" in html
    assert 'data-testid="map-table"' not in html
    assert 'href="#league-units"' in html


def test_the_reporting_rate_of_the_forms_over_the_area(
    client: TestClient, make_staff: Any, seeded: dict[str, Any], db: Database
) -> None:
    headers = make_staff("dic_officer", "99")
    html = client.get("/rollout/dashboard?unit=99", headers=headers).text
    assert "Chưa có mẫu báo cáo định kỳ nào cho địa bàn này." in html
    with db.session_scope() as s:
        form = reports.create_form(
            s,
            name="Báo cáo tuần",
            area_code="99",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["ward"],
            created_by=None,
        )
        form_id = form.id
    html = client.get("/rollout/dashboard?unit=991", headers=headers).text
    assert 'data-testid="reporting-rate"' in html
    assert f'href="/rollout/reports/{form_id}/rate?area=991&amp;period=' in html
    # Huyện Một has two wards; neither has reported yet
    row = html[html.index("Báo cáo tuần") :]
    assert ">2</td>" in row and ">0 (0,0%)</td>" in row
