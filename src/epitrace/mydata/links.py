"""Navigation to "My data" from the citizen's page."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

CITIZEN_LINKS = [StaffLink(Action.CITIZEN_SELF, "/me/data", N_("My data"))]
