"""Navigation to the person search."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [StaffLink(Action.PEOPLE_SEARCH, "/people", N_("Find a person"))]
