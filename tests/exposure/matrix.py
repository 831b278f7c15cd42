"""Permission-matrix entries of the exposure routes (the key server's own routes are public).

The two code-issuing POSTs name their area in the body, which the matrix cannot vary between
the inside and outside request; tests/exposure/test_api.py checks the outside refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from epitrace.security.roles import Action
from tests.matrix_support import RouteCase

TODAY = datetime.now(UTC).date().isoformat()

CASES = [
    RouteCase(
        "POST",
        "/api/v1/exposure/verification-codes",
        Action.EXPOSURE_CODES,
        inside="/api/v1/exposure/verification-codes",
        body={"area_code": "26743", "test_date": TODAY},
        ok=(201,),
    ),
    RouteCase(
        "GET",
        "/api/v1/exposure/counts",
        Action.EXPOSURE_COUNTS,
        inside="/api/v1/exposure/counts?area=79",
        outside="/api/v1/exposure/counts?area=01",
    ),
    RouteCase("GET", "/exposure/codes", Action.EXPOSURE_CODES, inside="/exposure/codes"),
    RouteCase(
        "POST",
        "/exposure/codes",
        Action.EXPOSURE_CODES,
        inside="/exposure/codes",
        form={"area_code": "26743", "test_date": TODAY, "report_type": "confirmed_test"},
        ok=(201,),
    ),
    RouteCase(
        "GET",
        "/exposure/counts",
        Action.EXPOSURE_COUNTS,
        inside="/exposure/counts?area=79",
        outside="/exposure/counts?area=01",
    ),
    RouteCase("GET", "/me/exposure", Action.CITIZEN_SELF, inside="/me/exposure"),
]
