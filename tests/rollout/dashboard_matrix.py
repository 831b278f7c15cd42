"""Permission-matrix entries of the province dashboard (an area's figures, counts only)."""

from __future__ import annotations

from epitrace.security.roles import Action
from tests.matrix_support import RouteCase

CASES = [
    RouteCase(
        "GET",
        "/rollout/dashboard",
        Action.ROLLOUT_READ,
        inside="/rollout/dashboard?unit=79",
        outside="/rollout/dashboard?unit=01",
    ),
    RouteCase(
        "GET",
        "/api/v1/rollout/dashboard",
        Action.ROLLOUT_READ,
        inside="/api/v1/rollout/dashboard?unit=79",
        outside="/api/v1/rollout/dashboard?unit=01",
    ),
]
