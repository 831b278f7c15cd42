"""Permission-matrix entries of the tracing routes (trace, contacts, exports, zoning)."""

from __future__ import annotations

from epitrace.security.roles import Action
from tests.cases.matrix import setup
from tests.matrix_support import RouteCase

__all__ = ["CASES", "setup"]

CASES = [
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/trace",
        Action.CASES_MANAGE,
        inside="/api/v1/cases/{case_in}/trace",
        outside="/api/v1/cases/{case_out}/trace",
    ),
    RouteCase(
        "GET",
        "/api/v1/cases/{case_id}/contacts",
        Action.TRACING_COUNTS,
        inside="/api/v1/cases/{case_in}/contacts",
        outside="/api/v1/cases/{case_out}/contacts",
    ),
    RouteCase(
        "GET",
        "/api/v1/cases/{case_id}/contacts/export.{fmt}",
        Action.TRACING_IDENTITIES,
        inside="/api/v1/cases/{case_in}/contacts/export.csv",
        outside="/api/v1/cases/{case_out}/contacts/export.csv",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/risk/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/risk/79",
        outside="/api/v1/tracing/risk/01",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/risk/{area_code}/geojson",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/risk/79/geojson",
        outside="/api/v1/tracing/risk/01/geojson",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/hotspots/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/hotspots/79",
        outside="/api/v1/tracing/hotspots/01",
    ),
    RouteCase(
        "GET",
        "/api/v1/tracing/clusters/{area_code}",
        Action.TRACING_COUNTS,
        inside="/api/v1/tracing/clusters/79",
        outside="/api/v1/tracing/clusters/01",
    ),
    RouteCase("GET", "/tracing", Action.TRACING_COUNTS, inside="/tracing"),
    RouteCase(
        "GET",
        "/tracing/{area_code}",
        Action.TRACING_COUNTS,
        inside="/tracing/79",
        outside="/tracing/01",
    ),
]
