"""Navigation to check-in pages: citizens' scanner and visits, officials' daily counts."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [
    StaffLink(Action.DOOR_OPERATE, "/venues", N_("Door: scan passes, manual entry")),
    StaffLink(Action.CHECKINS_COUNTS, "/checkins/counts", N_("Check-ins per venue and ward")),
]
CITIZEN_LINKS = [
    StaffLink(Action.CITIZEN_SELF, "/checkins/scan", N_("Scan a venue code")),
    StaffLink(Action.CITIZEN_SELF, "/checkins", N_("My visits")),
]
