"""Navigation to rollout oversight from the staff home page."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [
    StaffLink(Action.ROLLOUT_READ, "/rollout", N_("Rollout oversight")),
    StaffLink(Action.ROLLOUT_ORG_READ, "/rollout", N_("Rollout oversight")),
    StaffLink(Action.ROLLOUT_READ, "/rollout/report", N_("Formal report (PDF, XLSX)")),
]
