"""Navigation links a domain adds to the staff home page, shown when the role allows them."""

from __future__ import annotations

from dataclasses import dataclass

from epitrace.errors import N_
from epitrace.security.roles import Action


@dataclass(frozen=True)
class StaffLink:
    action: Action
    href: str
    label: str  # msgid, translated when shown


LINKS = [
    StaffLink(Action.PLACES_READ, "/places", N_("Administrative units")),
    StaffLink(Action.USERS_MANAGE, "/admin/users", N_("Staff accounts and roles")),
    StaffLink(Action.AUDIT_READ, "/admin/audit", N_("Audit log")),
    StaffLink(Action.AUDIT_READ, "/admin/access", N_("Access to personal records")),
]
