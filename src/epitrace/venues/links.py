"""Staff navigation to the venue registry."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [StaffLink(Action.VENUES_READ, "/venues", N_("Venues and QR posters"))]
