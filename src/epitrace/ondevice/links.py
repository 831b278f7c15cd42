"""Navigation to the hotspot notices of on-device mode."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [StaffLink(Action.ALERTS_CONTACT, "/hotspot-notices", N_("Hotspot notices for phones"))]
