"""Permission-matrix entries of the shell pages."""

from epitrace.security.roles import Action
from tests.matrix_support import RouteCase

CASES = [
    RouteCase("GET", "/staff", Action.STAFF_HOME, inside="/staff"),
]
