"""The person a case, test or quarantine order is about: chosen, matched, or new.

Used by the routes that register them. A request names a known person (`person_id`) or gives
their details; details whose phone or ID number match people already known answer 409 with
the candidates (`PersonMatch`) unless the request says the person is new (`new_person`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases import access as case_access
from epitrace.cases import service as case_service
from epitrace.errors import N_, InvalidInput
from epitrace.people import service as people_service
from epitrace.people.access import candidates_out
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


@dataclass(frozen=True)
class Details:
    """A person as an officer types them: from a laboratory's list, often a phone only."""

    full_name: str = ""
    ward_code: str = ""
    phone: str | None = None
    id_number: str | None = None
    birth_year: int | None = None
    address: str | None = None


def subject(
    principal: Principal | None,
    session: Session,
    action: Action,
    *,
    person_id: uuid.UUID | None,
    details: Details | None,
    new_person: bool = False,
) -> Person:
    """The person the record is about; never a silent second record of a known human."""
    user = require(principal, action)
    if person_id is not None:
        return people_service.current_person_or_404(session, person_id=person_id)
    if details is None:
        raise InvalidInput(
            N_("Choose the person or enter a new one."),
            fields={"person_id": N_("Choose the person or enter a new one.")},
        )
    ids = people_service.identifiers(phone=details.phone, id_number=details.id_number)
    if not new_person:
        found = people_service.find_candidates(session, ids=ids)
        if found:
            raise people_service.PersonMatch(
                [c.model_dump(mode="json") for c in candidates_out(user, session, action, found)]
            )
    missing = {}
    if not details.full_name.strip():
        missing["full_name"] = N_("Enter the full name.")
    if not details.ward_code.strip():
        missing["ward_code"] = N_("Choose an existing ward.")
    if missing:
        raise InvalidInput(
            N_("No one is registered with these details: enter the new person's name and ward."),
            fields=missing,
        )
    case_access.for_new_person(principal, session, action, details.ward_code)
    return case_service.new_person(
        session,
        full_name=details.full_name,
        ward_code=details.ward_code,
        phone=ids.phone,
        id_number=ids.id_number,
        birth_year=details.birth_year,
        address=details.address,
    )
