"""Navigation to the declaration pages for citizens and staff."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [
    StaffLink(Action.DECLARATIONS_REVIEW, "/declarations/review", N_("Declarations to follow up")),
]
CITIZEN_LINKS = [
    StaffLink(Action.CITIZEN_SELF, "/declare", N_("Health declaration")),
    StaffLink(Action.CITIZEN_SELF, "/pass", N_("My QR pass")),
    StaffLink(Action.CITIZEN_SELF, "/declarations/mine", N_("My health declarations")),
]
