"""Demo ward outlines, so that the zoning page draws a map for the demo province.

The shapes are approximate hexagons around each demo ward's centre, for demonstration only;
real deployments import surveyed shapes with `epitrace places geo FILE.geojson`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from epitrace.tracing import geo

DEMO_GEOJSON = Path(__file__).resolve().parent / "data" / "demo-wards.geojson"


def seed(session: Session, context: Any) -> None:
    shapes = geo.parse(DEMO_GEOJSON.read_text(encoding="utf-8"), code_property="code")
    geo.import_geometries(
        session, {code: shape for code, shape in shapes.items() if code in context.wards}
    )
