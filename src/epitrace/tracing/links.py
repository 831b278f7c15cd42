"""Navigation to the zoning page (risk map, hotspots, clusters)."""

from __future__ import annotations

from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.links import StaffLink

LINKS = [StaffLink(Action.TRACING_COUNTS, "/tracing", N_("Zoning: ward risk map, hotspots"))]
