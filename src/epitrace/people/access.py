"""Who may find, match and merge people: scoped by the area stored for each person.

Search and matching: health officers and ward officials (PEOPLE_SEARCH), inside their areas.
A match outside the caller's area is still shown — otherwise a case reported by phone from
another province's resident would become a second record — but with initials instead of the
name. Merging (PEOPLE_MERGE, health officers) is checked on both records.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts.models import Person
from epitrace.cases import access as case_access
from epitrace.errors import Forbidden, InvalidInput
from epitrace.people.schemas import CandidateOut
from epitrace.people.service import Candidate
from epitrace.places import service as place_service
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def search_people(principal: Principal | None, session: Session, ward: str | None) -> Principal:
    return require(principal, Action.PEOPLE_SEARCH, ward or None, session=session)


def merge_people(
    principal: Principal | None, session: Session, keep: Person, merge: Person
) -> Principal:
    """Both records must be the caller's: by the area stored for each (or none yet)."""
    require(principal, Action.PEOPLE_MERGE)
    case_access.for_person(principal, session, Action.PEOPLE_MERGE, keep)
    scope = case_access.for_person(principal, session, Action.PEOPLE_MERGE, merge)
    return scope.principal


def in_area(principal: Principal, session: Session, action: Action, ward: str | None) -> bool:
    """True when the caller may act on a person of this area (None: no area yet, theirs)."""
    if ward is None:
        return True
    try:
        require(principal, action, ward, session=session)
    except Forbidden:
        return False
    return True


def initials(full_name: str) -> str:
    """`"Nguyễn Văn An"` → `"N. V. A."`: enough to tell two people apart on a call."""
    return " ".join(part[0] + "." for part in full_name.split())


def candidates_out(
    principal: Principal, session: Session, action: Action, candidates: list[Candidate]
) -> list[CandidateOut]:
    """The evidence of each match: the field that matched, masked phone, ward, birth year."""
    wards = place_service.names_of(
        session, codes=[c.ward_code for c in candidates if c.ward_code is not None]
    )
    out = []
    for c in candidates:
        inside = in_area(principal, session, action, c.ward_code)
        out.append(
            CandidateOut(
                person_id=c.person.id,
                full_name=c.person.full_name if inside else initials(c.person.full_name),
                matched_on=list(c.matched_on),
                phone_masked=_masked(c.person.phone),
                ward_code=c.ward_code,
                ward_name=wards.get(c.ward_code or "", None),
                birth_year=c.person.birth_year,
                has_account=c.has_account,
                in_area=inside,
            )
        )
    return out


def _masked(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return phone_numbers.mask(phone_numbers.normalise(phone))
    except InvalidInput:
        return None
