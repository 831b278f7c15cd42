"""Links to the exposure pages on the staff home page and the citizen's page."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [
    StaffLink(Action.EXPOSURE_CODES, "/exposure/codes", N_("Bluetooth verification codes")),
    StaffLink(Action.EXPOSURE_COUNTS, "/exposure/counts", N_("Bluetooth exposure figures")),
]

CITIZEN_LINKS = [
    StaffLink(Action.CITIZEN_SELF, "/me/exposure", N_("Bluetooth exposure warnings")),
]
