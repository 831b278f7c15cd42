"""Ward shapes: import from GeoJSON into `AdminUnit.geometry`, serve as GeoJSON, draw as SVG.

The map is drawn on the server from the imported shapes (polygons) or centroids (points), with
an equirectangular projection scaled by the cosine of the mid latitude: no tiles, no network.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.errors import N_, InvalidInput
from epitrace.places.models import AdminUnit

GEOMETRY_TYPES = ("Polygon", "MultiPolygon", "Point")
CODE_PROPERTIES = ("code", "ward_code", "ma", "ma_xa", "ma_phuong", "id")
LEVEL_COLOURS = {1: "#2e7d32", 2: "#f9c623", 3: "#ef6c00", 4: "#c62828", None: "#9e9e9e"}


class GeoImportError(InvalidInput):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(N_("The file has %(count)s bad features."), params={"count": len(errors)})
        self.errors = errors


def _code_of(feature: dict[str, Any], code_property: str | None) -> str | None:
    props = feature.get("properties") or {}
    keys = (code_property,) if code_property else CODE_PROPERTIES
    for key in keys:
        value = props.get(key) if key else None
        if value not in (None, ""):
            text = str(value).strip()
            return text.zfill(5) if text.isdigit() and len(text) < 5 else text
    return None


def _valid_position(p: Any) -> bool:
    return (
        isinstance(p, list)
        and len(p) >= 2
        and all(isinstance(v, int | float) for v in p[:2])
        and -180 <= p[0] <= 180
        and -90 <= p[1] <= 90
    )


def _valid_geometry(geometry: Any) -> bool:
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        return False
    coords = geometry.get("coordinates")
    if geometry["type"] == "Point":
        return _valid_position(coords)
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return False
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return False
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return False
            if not all(_valid_position(p) for p in ring):
                return False
    return True


def parse(text: str, *, code_property: str | None = None) -> dict[str, dict[str, Any]]:
    """Unit code -> geometry, from a FeatureCollection; every problem listed, nothing partial."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoImportError([f"not JSON: {exc.msg} (line {exc.lineno})"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeoImportError(["the file is not a GeoJSON FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list):
        raise GeoImportError(["the FeatureCollection has no features list"])
    out: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for i, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            errors.append(f"feature {i}: not an object")
            continue
        code = _code_of(feature, code_property)
        if code is None:
            errors.append(f"feature {i}: no unit code in its properties")
            continue
        if not _valid_geometry(feature.get("geometry")):
            errors.append(
                f"feature {i} ({code}): geometry must be a valid Polygon, MultiPolygon or Point"
            )
            continue
        out[code] = feature["geometry"]
    if errors:
        raise GeoImportError(errors)
    return out


def import_geometries(session: Session, geometries: dict[str, dict[str, Any]]) -> int:
    """Store the shapes; unknown unit codes are refused and nothing is written."""
    known = set(session.scalars(select(AdminUnit.code).where(AdminUnit.code.in_(list(geometries)))))
    unknown = sorted(set(geometries) - known)
    if unknown:
        raise GeoImportError([f"unknown unit code {code}" for code in unknown])
    for unit in session.scalars(select(AdminUnit).where(AdminUnit.code.in_(list(geometries)))):
        unit.geometry = json.dumps(geometries[unit.code], separators=(",", ":"))
    session.flush()
    return len(geometries)


# -- drawing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    level: int | None
    label: str  # tooltip text
    path: str | None  # SVG path for polygons
    point: tuple[float, float] | None  # SVG centre for points
    centre: tuple[float, float] = (0.0, 0.0)  # where the ward's name is written


def _rings(geometry: dict[str, Any]) -> Iterable[list[list[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def _positions(geometry: dict[str, Any]) -> Iterable[list[float]]:
    if geometry["type"] == "Point":
        yield geometry["coordinates"]
    else:
        for ring in _rings(geometry):
            yield from ring


def draw(
    items: Sequence[tuple[str, str, int | None, str, str | None]], *, width: int = 800
) -> tuple[list[Shape], int, int]:
    """(code, name, level, label, geometry JSON) → SVG shapes, width and height."""
    parsed = []
    for code, name, level, label, raw in items:
        if not raw:
            continue
        try:
            geometry = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if _valid_geometry(geometry):
            parsed.append((code, name, level, label, geometry))
    if not parsed:
        return [], width, 0
    xs, ys = [], []
    for *_, geometry in parsed:
        for p in _positions(geometry):
            xs.append(p[0])
            ys.append(p[1])
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    k = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * k, 1e-6)
    span_y = max(max_y - min_y, 1e-6)
    margin = 12
    scale = (width - 2 * margin) / max(span_x, span_y * 0.75 if span_x < 1e-5 else span_x)
    height = int(span_y * scale + 2 * margin) if span_y > 1e-6 else width // 2

    def project(p: list[float]) -> tuple[float, float]:
        return (
            round(margin + (p[0] - min_x) * k * scale, 1),
            round(margin + (max_y - p[1]) * scale, 1),
        )

    shapes = []
    for code, name, level, label, geometry in parsed:
        if geometry["type"] == "Point":
            point = project(geometry["coordinates"])
            centre = (point[0], point[1] - 10)
            shapes.append(Shape(code, name, level, label, None, point, centre))
            continue
        parts = []
        projected: list[tuple[float, float]] = []
        for ring in _rings(geometry):
            points = [project(p) for p in ring]
            # a closed ring repeats its first point; count it once for the label's centre
            projected.extend(points[:-1] if len(points) > 1 and points[0] == points[-1] else points)
            parts.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
        centre = (
            round(sum(x for x, _ in projected) / len(projected), 1),
            round(sum(y for _, y in projected) / len(projected), 1),
        )
        shapes.append(Shape(code, name, level, label, " ".join(parts), None, centre))
    return shapes, width, max(height, 60)


def feature_collection(
    items: Sequence[tuple[dict[str, Any], str | None]],
) -> dict[str, Any]:
    """(properties, geometry JSON or None) → a GeoJSON FeatureCollection."""
    features = []
    for props, raw in items:
        geometry = json.loads(raw) if raw else None
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}
