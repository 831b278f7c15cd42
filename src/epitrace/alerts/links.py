"""Navigation to the inbox (everyone), campaigns and the delivery dashboard."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [
    StaffLink(Action.INBOX, "/inbox", N_("Notices")),
    StaffLink(Action.CAMPAIGNS_READ, "/campaigns", N_("Campaigns")),
    StaffLink(Action.ALERTS_COUNTS, "/alerts/dashboard", N_("Delivery of alerts")),
]
CITIZEN_LINKS = [
    StaffLink(Action.INBOX, "/inbox", N_("Notices")),
    StaffLink(Action.CAMPAIGNS_READ, "/campaigns", N_("Campaigns")),
    StaffLink(Action.ALERTS_COUNTS, "/alerts/dashboard", N_("Delivery of alerts")),
]
