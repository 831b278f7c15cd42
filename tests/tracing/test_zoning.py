"""Policy versions, risk levels, hotspots, clusters, geometry import and the map data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epitrace.db import Database
from epitrace.errors import InvalidInput
from epitrace.places.models import AdminUnit
from epitrace.tracing import geo, policy_store
from epitrace.tracing import service as tracing_service
from epitrace.tracing.policy import DEFAULT_POLICY
from tests.tracing import factories as f

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[106.69, 10.77], [106.70, 10.77], [106.70, 10.78], [106.69, 10.78], [106.69, 10.77]]
    ],
}
POINT = {"type": "Point", "coordinates": [106.68, 10.76]}


def test_policy_versions_are_recorded_by_traces(session: Session, places: Any) -> None:
    assert policy_store.current(session).version == 0
    policy = policy_store.create_version(
        session, changes={"overlap_minutes": {"market": 30}}, note="chợ: 30 phút"
    )
    assert policy.version == 1 and policy.threshold_for("market", small_room=False) == 30
    with pytest.raises(InvalidInput):
        policy_store.create_version(session, changes={"no_such_setting": 1})
    with pytest.raises(InvalidInput):
        policy_store.create_version(session, changes={"infectious_days_before": -1})
    f0, a = f.person(session), f.person(session, "A")
    market = f.venue(session)
    f.presence(session, venue=market, who=f0, start=0, end=60)
    f.presence(session, venue=market, who=a, start=40, end=100)  # 20 minutes: not enough now
    case = f.case(session, who=f0, sampled=24 * 60)
    outcome = tracing_service.run_trace(session, case=case, now=f.at(3 * 24 * 60))
    assert outcome.trace.policy_version == 1 and outcome.f1_count == 0
    assert policy_store.get_version(session, version=1).version == 1


def test_risk_hotspots_and_clusters(session: Session, places: Any) -> None:
    now = f.at(10 * 24 * 60)
    market = f.venue(session, name="Chợ Bến Thành")
    first = f.person(session, "Ca một")
    second = f.person(session, "Ca hai")
    f.presence(session, venue=market, who=first, start=8 * 24 * 60, end=8 * 24 * 60 + 60)
    f.presence(session, venue=market, who=second, start=8 * 24 * 60, end=8 * 24 * 60 + 60)
    c1 = f.case(session, who=first, sampled=9 * 24 * 60)
    c2 = f.case(session, who=second, sampled=9.5 * 24 * 60)
    tracing_service.run_trace(session, case=c1, now=now)
    risks = {
        r.code: r
        for r in tracing_service.ward_risk(session, area_code="79", now=now, policy=DEFAULT_POLICY)
    }
    ben_thanh = risks["26743"]
    assert (ben_thanh.cases_7, ben_thanh.cases_14) == (2, 2)
    assert ben_thanh.per_100k_14 == pytest.approx(2 * 100_000 / 60_000)
    assert ben_thanh.level == 1 and risks["26734"].cases_14 == 0
    assert DEFAULT_POLICY.risk_level(20) == 2 and DEFAULT_POLICY.risk_level(200) == 4
    spots = tracing_service.hotspots(
        session, area_path="79.", since=now - timedelta(days=14), until=now, policy=DEFAULT_POLICY
    )
    assert [(h.name, h.presences, h.cases) for h in spots] == [("Chợ Bến Thành", 2, 2)]
    groups = tracing_service.clusters(
        session, area_path="79.", since=now - timedelta(days=28), until=now
    )
    assert len(groups) == 1 and {c.id for c in groups[0].cases} == {c1.id, c2.id}
    assert market.id in groups[0].venues


def test_geo_parse_refuses_bad_files() -> None:
    with pytest.raises(geo.GeoImportError):
        geo.parse("not json")
    with pytest.raises(geo.GeoImportError) as info:
        geo.parse(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"code": "26743"},
                            "geometry": {"type": "LineString", "coordinates": []},
                        },
                        {"type": "Feature", "properties": {}, "geometry": POINT},
                    ],
                }
            )
        )
    assert len(info.value.errors) == 2
    shapes = geo.parse(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"ma": 26743}, "geometry": SQUARE},
                ],
            }
        )
    )
    assert shapes == {"26743": SQUARE}


def test_map_page_and_geojson(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    official = make_staff("province_official", "79")
    page = client.get("/tracing/79", headers=official)
    assert page.status_code == 200
    assert 'data-testid="risk-map"' not in page.text and 'data-testid="risk-table"' in page.text
    with db.session_scope() as s:
        with pytest.raises(geo.GeoImportError):
            geo.import_geometries(s, {"99999": POINT})
        assert geo.import_geometries(s, {"26743": SQUARE, "26734": POINT}) == 2
        assert s.get(AdminUnit, "26743").geometry is not None  # type: ignore[union-attr]
    page = client.get("/tracing/79", headers=official)
    assert (
        'data-testid="risk-map"' in page.text
        and '<path d="M' in page.text
        and "<circle" in page.text
    )
    data = client.get("/api/v1/tracing/risk/79/geojson", headers=official).json()
    assert data["type"] == "FeatureCollection"
    by_code = {feat["properties"]["code"]: feat for feat in data["features"]}
    assert by_code["26743"]["geometry"] == SQUARE and by_code["26734"]["geometry"] == POINT
    assert by_code["26743"]["properties"]["level"] == 1
    assert client.get("/api/v1/tracing/risk/01/geojson", headers=official).status_code == 403


def test_risk_levels_rank_without_population(session: Session, places: Any) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    rows = tracing_service.ward_risk(session, area_code="99", now=now, policy=DEFAULT_POLICY)
    assert {r.code for r in rows} == {"99101", "99102", "99201"}
