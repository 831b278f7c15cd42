"""Permission-matrix entries of the audit log routes."""

from epitrace.security.roles import Action
from tests.matrix_support import RouteCase

CASES = [
    RouteCase("GET", "/api/v1/audit", Action.AUDIT_READ, inside="/api/v1/audit"),
    RouteCase("GET", "/admin/audit", Action.AUDIT_READ, inside="/admin/audit"),
]
