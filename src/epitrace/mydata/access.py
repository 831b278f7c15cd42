"""Who may see and act on "My data": the signed-in citizen, for themselves and dependents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from epitrace.errors import N_, Forbidden
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


@dataclass(frozen=True)
class Citizen:
    principal: Principal
    person_id: uuid.UUID


def citizen(principal: Principal | None) -> Citizen:
    user = require(principal, Action.CITIZEN_SELF)
    if user.person_id is None:
        raise Forbidden(N_("Only citizens have a personal profile."))
    return Citizen(user, user.person_id)
