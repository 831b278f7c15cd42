"""The demo province comes with ward outlines, so its zoning page shows a map."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from epitrace import demo
from epitrace.db import Database
from tests import factories


def test_demo_seed_draws_the_zoning_map(client: TestClient, db: Database) -> None:
    with db.session_scope() as s:
        demo.seed(s)
    headers = factories.token_headers(client, username="province", password=demo.DEMO_PASSWORD)
    geojson = client.get("/api/v1/tracing/risk/79/geojson", headers=headers).json()
    drawn = {f["properties"]["code"] for f in geojson["features"] if f.get("geometry")}
    assert drawn == {code for code, _name, _pop in demo.WARDS}
    page = client.get("/tracing/79", headers=headers)
    assert page.status_code == 200
    assert page.text.count("<path") >= len(demo.WARDS)
    levels: Any = {f["properties"]["code"]: f["properties"]["level"] for f in geojson["features"]}
    assert all(level in (1, 2, 3, 4) for level in levels.values())
