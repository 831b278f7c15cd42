"""`epitrace trace CASE_ID --json`, `epitrace places geo`, breach scan and policy commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.places.models import AdminUnit
from tests.tracing import factories as f


@pytest.fixture
def runner(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_trace_json_lists_f1_and_f2_with_evidence(
    runner: CliRunner, db: Database, places: Any
) -> None:
    with db.session_scope() as s:
        f0, a, b = f.person(s, "F0"), f.person(s, "Nguyễn Thị A"), f.visitor(s, "Khách B")
        shop = f.venue(s)
        f.presence(s, venue=shop, who=f0, start=60, end=120)
        f.presence(s, venue=shop, who=a, start=60, end=120)
        f.presence(s, venue=shop, who=a, start=24 * 60, end=24 * 60 + 60)
        f.presence(s, venue=shop, who=b, start=24 * 60, end=24 * 60 + 60)
        case_id = str(f.case(s, who=f0, sampled=2 * 24 * 60).id)
    result = runner.invoke(app, ["trace", case_id, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["full_name"] for c in data["f1"]] == ["Nguyễn Thị A"]
    assert [c["full_name"] for c in data["f2"]] == ["Khách B"]
    evidence = data["f2"][0]["evidence"]
    assert evidence["overlap_minutes"] == 60 and evidence["source_presence_id"]
    assert data["f2"][0]["exposed_through"] == data["f1"][0]["contact"]
    table = runner.invoke(app, ["trace", case_id])
    assert table.exit_code == 0 and "1 F1, 1 F2" in table.output
    assert runner.invoke(app, ["trace", "not-a-uuid"]).exit_code == 1


def test_places_geo_import(runner: CliRunner, db: Database, places: Any, tmp_path: Path) -> None:
    good = tmp_path / "wards.geojson"
    good.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "26743"},
                        "geometry": {"type": "Point", "coordinates": [106.698, 10.772]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["places", "geo", str(good)])
    assert result.exit_code == 0, result.output
    with db.session_scope() as s:
        unit = s.get(AdminUnit, "26743")
        assert unit is not None and json.loads(unit.geometry or "{}")["type"] == "Point"
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"properties": {"code": "1"}}]}')
    result = runner.invoke(app, ["places", "geo", str(bad)])
    assert result.exit_code == 1 and "nothing was imported" in result.output


def test_policy_and_breach_commands(runner: CliRunner, db: Database, places: Any) -> None:
    result = runner.invoke(app, ["tracing", "policy", "set", "quarantine_days_f1=10"])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(app, ["tracing", "policy", "show"]).output)
    assert shown["version"] == 1 and shown["quarantine_days_f1"] == 10
    assert runner.invoke(app, ["tracing", "policy", "set", "bogus=1"]).exit_code == 1
    result = runner.invoke(app, ["quarantine", "scan-breaches", "--hours", "48"])
    assert result.exit_code == 0 and "0 new breaches" in result.output
