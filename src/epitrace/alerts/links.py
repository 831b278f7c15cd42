"""Navigation to the inbox (everyone) and, later, the alert dashboards and campaigns."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [StaffLink(Action.INBOX, "/inbox", N_("Notices"))]
CITIZEN_LINKS = [StaffLink(Action.INBOX, "/inbox", N_("Notices"))]
