"""Navigation to cases, quarantine follow-up and the citizen's quarantine report."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [
    StaffLink(Action.TRACING_IDENTITIES, "/cases", N_("Cases (F0) and contact tracing")),
    StaffLink(Action.QUARANTINE_MANAGE, "/quarantine", N_("Quarantine follow-up")),
]
CITIZEN_LINKS = [StaffLink(Action.CITIZEN_SELF, "/me/quarantine", N_("My quarantine"))]
