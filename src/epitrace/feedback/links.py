"""Navigation to the feedback pages for citizens and officials."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [StaffLink(Action.FEEDBACK_HANDLE, "/feedback/inbox", N_("Citizen feedback"))]
CITIZEN_LINKS = [StaffLink(Action.CITIZEN_SELF, "/feedback", N_("Send feedback (phản ánh)"))]
