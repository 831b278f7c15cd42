"""Permission-matrix entries of the places routes."""

from epitrace.security.roles import Action
from tests.matrix_support import RouteCase

CASES = [
    RouteCase("GET", "/api/v1/places", Action.PLACES_READ, inside="/api/v1/places"),
    RouteCase(
        "GET", "/api/v1/places/suggest", Action.PLACES_READ, inside="/api/v1/places/suggest?q=ben"
    ),
    RouteCase("GET", "/api/v1/places/{code}", Action.PLACES_READ, inside="/api/v1/places/26743"),
    RouteCase(
        "GET",
        "/api/v1/places/{code}/children",
        Action.PLACES_READ,
        inside="/api/v1/places/79/children",
    ),
    RouteCase("GET", "/places", Action.PLACES_READ, inside="/places"),
    RouteCase("GET", "/places/{code}", Action.PLACES_READ, inside="/places/79"),
]
