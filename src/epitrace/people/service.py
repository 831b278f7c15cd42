"""Matching the details of a registration to the people already known, and person search.

A registration by phone number or ID number (a case from a laboratory, a test, a quarantine
order) must land on the record of the human who signed up, declared and checked in, or the
trace finds nobody. Functions take the session keyword-first, flush and never commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from epitrace.accounts import names
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts.models import Person, UserAccount
from epitrace.cases import service as case_service
from epitrace.cases.models import Case, QuarantineOrder
from epitrace.db import contains_text
from epitrace.declarations.models import Declaration
from epitrace.errors import N_, Conflict, InvalidInput
from epitrace.people.idnumbers import normalise_id_number
from epitrace.places import service as place_service

# A match on either identifier is evidence; these are the names the API and pages show.
PHONE = "phone"
ID_NUMBER = "id_number"
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Identifiers:
    """The canonical phone (+84…) and ID number of a registration, either may be missing."""

    phone: str | None = None
    id_number: str | None = None

    def __bool__(self) -> bool:
        return bool(self.phone or self.id_number)


def identifiers(*, phone: str | None, id_number: str | None) -> Identifiers:
    """Normalise both identifiers; every malformed one is named in the error's fields."""
    errors: dict[str, str] = {}
    canonical = None
    number = None
    if phone and phone.strip():
        try:
            canonical = phone_numbers.normalise(phone)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if id_number and id_number.strip():
        try:
            number = normalise_id_number(id_number)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors:
        raise InvalidInput(N_("Check the highlighted fields."), fields=errors)
    return Identifiers(phone=canonical, id_number=number)


def phone_forms(canonical: str) -> list[str]:
    """The ways a number may have been stored before every write normalised it."""
    national = canonical.removeprefix("+84")
    return [canonical, "0" + national, "84" + national]


@dataclass(frozen=True)
class Candidate:
    """A known person whose phone or ID number is the one given, with the evidence."""

    person: Person
    matched_on: tuple[str, ...]
    ward_code: str | None  # the person's area (`cases.service.person_ward`)
    has_account: bool


def _current(session: Session, person: Person) -> Person:
    """The record a merged person now lives on."""
    seen = {person.id}
    while person.merged_into_id is not None and person.merged_into_id not in seen:
        found = session.get(Person, person.merged_into_id)
        if found is None:
            break
        seen.add(found.id)
        person = found
    return person


def _account_holders(session: Session, person_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not person_ids:
        return set()
    return {
        pid
        for pid in session.scalars(
            select(UserAccount.person_id).where(UserAccount.person_id.in_(person_ids))
        )
        if pid is not None
    }


def find_candidates(session: Session, *, ids: Identifiers) -> list[Candidate]:
    """People with this phone (theirs or their account's) or ID number (theirs or declared).

    Best first: both identifiers matched, then account holders (they check in), then older
    records. Merged records are replaced by the record they were merged into.
    """
    if not ids:
        return []
    matched: dict[uuid.UUID, set[str]] = {}
    if ids.phone:
        forms = phone_forms(ids.phone)
        by_phone = select(Person.id).where(Person.phone.in_(forms))
        by_account = select(UserAccount.person_id).where(UserAccount.phone.in_(forms))
        for pid in [*session.scalars(by_phone), *session.scalars(by_account)]:
            if pid is not None:
                matched.setdefault(pid, set()).add(PHONE)
    if ids.id_number:
        by_number = select(Person.id).where(Person.id_number == ids.id_number)
        declared = select(Declaration.person_id).where(
            Declaration.id_number == ids.id_number, Declaration.subject.in_(("self", "dependent"))
        )
        for pid in [*session.scalars(by_number), *session.scalars(declared.distinct())]:
            matched.setdefault(pid, set()).add(ID_NUMBER)
    people: dict[uuid.UUID, tuple[Person, set[str]]] = {}
    for pid, fields in matched.items():
        found = session.get(Person, pid)
        if found is None:
            continue
        current = _current(session, found)
        _, merged = people.get(current.id, (current, set()))
        people[current.id] = (current, merged | fields)
    holders = _account_holders(session, list(people))
    ranked = sorted(
        people.values(),
        key=lambda pair: (-len(pair[1]), pair[0].id not in holders, pair[0].created_at),
    )
    return [
        Candidate(
            person=person,
            matched_on=tuple(f for f in (PHONE, ID_NUMBER) if f in fields),
            ward_code=case_service.person_ward(session, person=person),
            has_account=person.id in holders,
        )
        for person, fields in ranked[:MAX_CANDIDATES]
    ]


class PersonMatch(Conflict):
    """The details match people already registered; the caller must choose or say "new"."""

    code = "person_match"

    def __init__(self, candidates: list[dict[str, Any]]) -> None:
        super().__init__(
            N_(
                "These details match a person already registered: choose that person, "
                "or confirm that this is a new person."
            )
        )
        self.candidates = candidates

    def details(self) -> dict[str, Any]:
        return {"candidates": self.candidates}


def get_person_or_404(session: Session, *, person_id: uuid.UUID) -> Person:
    return case_service.get_person_or_404(session, person_id=person_id)


def current_person_or_404(session: Session, *, person_id: uuid.UUID) -> Person:
    """A person by id; a merged record answers with the record it was merged into."""
    return _current(session, case_service.get_person_or_404(session, person_id=person_id))


# -- search ---------------------------------------------------------------------------------

_PHONE_LIKE = re.compile(r"^[+\d][\d\s.\-()]{7,}$")


@dataclass(frozen=True)
class Query:
    """What a search box holds: a phone number, an ID number, or part of a name."""

    ids: Identifiers
    name: str


def parse_query(text: str) -> Query:
    """A phone number or ID number is searched exactly; anything else as a folded name."""
    raw = " ".join((text or "").split())
    compact = re.sub(r"[\s.\-()]", "", raw)
    try:
        if _PHONE_LIKE.match(raw) and not (len(compact) == 12 and compact.isdigit()):
            return Query(ids=Identifiers(phone=phone_numbers.normalise(compact)), name="")
        if compact and any(c.isdigit() for c in compact):
            return Query(ids=Identifiers(id_number=normalise_id_number(compact)), name="")
    except InvalidInput:
        raise InvalidInput(
            N_("Enter a name, a mobile number or an ID number."),
            fields={"q": N_("Enter a name, a mobile number or an ID number.")},
        ) from None
    return Query(ids=Identifiers(), name=names.fold(raw))


def _placed_in(path: str | None, ward_code: str | None = None) -> ColumnElement[bool]:
    """The person's area lies in `path` (or is `ward_code`): home ward, else case, else order."""

    def within(column: Any) -> Any:
        if ward_code:
            return column == ward_code
        return place_service.within_area(column, path)

    case_here = select(Case.person_id).where(within(Case.ward_code))
    order_here = select(QuarantineOrder.person_id).where(within(QuarantineOrder.ward_code))
    return or_(
        and_(Person.ward_code.is_not(None), within(Person.ward_code)),
        and_(Person.ward_code.is_(None), or_(Person.id.in_(case_here), Person.id.in_(order_here))),
    )


def _unplaced() -> ColumnElement[bool]:
    """No home ward, case or order: the health system has no area for them yet."""
    return and_(
        Person.ward_code.is_(None),
        Person.id.not_in(select(Case.person_id)),
        Person.id.not_in(select(QuarantineOrder.person_id)),
    )


def search(
    session: Session,
    *,
    area_paths: Sequence[str | None],
    query: Query,
    ward_code: str | None = None,
    limit: int = 50,
) -> list[Candidate]:
    """People of the caller's areas by name, phone, ID number and/or ward, by name.

    A name or a ward lists only people placed in the areas. An exact phone or ID number also
    finds people the health system has no area for yet (a citizen who checked in but never
    gave a ward): that is how a case reported by phone finds its person.
    """
    if not query.ids and not query.name and not ward_code:
        return []
    if not area_paths:
        return []
    stmt = select(Person).where(Person.merged_into_id.is_(None))
    matched = {c.person.id: c.matched_on for c in find_candidates(session, ids=query.ids)}
    if query.ids:
        if not matched:
            return []
        stmt = stmt.where(Person.id.in_(list(matched)))
    if query.name:
        stmt = stmt.where(contains_text(Person.search_name, query.name))
    if ward_code:
        stmt = stmt.where(_placed_in(None, ward_code))
    if None not in area_paths:
        areas = [_placed_in(path) for path in area_paths]
        if query.ids and not ward_code:
            areas.append(_unplaced())
        stmt = stmt.where(or_(*areas))
    people = list(session.scalars(stmt.order_by(Person.search_name, Person.id).limit(limit)))
    holders = _account_holders(session, [p.id for p in people])
    return [
        Candidate(
            person=p,
            matched_on=matched.get(p.id, ()),
            ward_code=case_service.person_ward(session, person=p),
            has_account=p.id in holders,
        )
        for p in people
    ]
