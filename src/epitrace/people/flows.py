"""Merging two records of the same human: every domain's rows move to the record kept.

The one story that touches the rows of every domain that points at a person, in one
transaction; the record merged away stays (with `merged_into_id`) so its history and the
audit entries that name it still resolve.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person, UserAccount
from epitrace.cases.models import Case, CaseStatus, LabTest, QuarantineOrder
from epitrace.checkins.models import ManualVisitor, Presence, ScanReceipt
from epitrace.declarations.models import Declaration
from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.exposure.models import ExposureReport
from epitrace.feedback.models import Feedback
from epitrace.people import resolve
from epitrace.people import service as people_service
from epitrace.people.access import candidates_out
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.tracing.engine import contact_key
from epitrace.tracing.models import ContactLink

# Rows that simply follow the human: (name in the outcome, model, its person column).
_FOLLOWERS: tuple[tuple[str, Any, Any], ...] = (
    ("presences", Presence, Presence.person_id),
    ("declarations", Declaration, Declaration.person_id),
    ("cases", Case, Case.person_id),
    ("tests", LabTest, LabTest.person_id),
    ("quarantine_orders", QuarantineOrder, QuarantineOrder.person_id),
    ("dependents", Person, Person.guardian_id),
    ("manual_visitors", ManualVisitor, ManualVisitor.person_id),
    ("feedback", Feedback, Feedback.person_id),
    ("exposure_reports", ExposureReport, ExposureReport.person_id),
    ("accounts", UserAccount, UserAccount.person_id),
)

# Details the record kept takes from the other one where it has none.
_DETAILS = ("phone", "id_number", "birth_year", "gender", "ward_code", "address")


@dataclass(frozen=True)
class MergeOutcome:
    kept: Person
    merged: Person
    moved: dict[str, int]
    filled: tuple[str, ...]


def _count(session: Session, column: Any, person: Person) -> int:
    return session.scalar(select(func.count()).where(column == person.id)) or 0


def _refuse(keep: Person, merge: Person, session: Session) -> None:
    if keep.id == merge.id:
        raise InvalidInput(
            N_("Choose two different records."),
            fields={"merge_id": N_("Choose two different records.")},
        )
    if keep.merged_into_id is not None or merge.merged_into_id is not None:
        raise Conflict(N_("One of these records was already merged into another."))
    if keep.guardian_id == merge.id or merge.guardian_id == keep.id:
        raise Conflict(N_("A relative declared by a citizen is not the citizen themself."))
    accounts = session.scalar(
        select(func.count(func.distinct(UserAccount.person_id))).where(
            UserAccount.person_id.in_([keep.id, merge.id])
        )
    )
    if accounts == 2:  # both records
        raise Conflict(
            N_("Both records have their own sign-in account: they are two people, not one.")
        )
    active = session.scalar(
        select(func.count(func.distinct(Case.person_id))).where(
            Case.person_id.in_([keep.id, merge.id]), Case.status == CaseStatus.ACTIVE
        )
    )
    if active == 2:
        raise Conflict(N_("Both records are active cases: close one of the cases before merging."))


def merge_people(session: Session, *, keep: Person, merge: Person) -> MergeOutcome:
    """Move everything about `merge` to `keep`; `merge` stays as history, pointing to `keep`.

    Refused when both records are account holders (two sign-ins are two people) or both are
    active cases. Traces keep their links: a link of the merged record moves unless the
    same case already links the kept one.
    """
    _refuse(keep, merge, session)
    moved: dict[str, int] = {}
    for name, model, column in _FOLLOWERS:
        count = _count(session, column, merge)
        if count:
            session.execute(
                update(model)
                .where(column == merge.id)
                .values({column.key: keep.id})
                .execution_options(synchronize_session="fetch")
            )
        moved[name] = count
    # a resent scan is recognised by (person, client key): keep the first receipt of each key
    kept_keys = select(ScanReceipt.client_key).where(ScanReceipt.person_id == keep.id)
    moved["scan_receipts"] = _count_where(
        session,
        ScanReceipt,
        and_(ScanReceipt.person_id == merge.id, ScanReceipt.client_key.not_in(kept_keys)),
    )
    session.execute(
        update(ScanReceipt)
        .where(ScanReceipt.person_id == merge.id, ScanReceipt.client_key.not_in(kept_keys))
        .values(person_id=keep.id)
        .execution_options(synchronize_session="fetch")
    )
    old_key, new_key = contact_key(merge.id, None), contact_key(keep.id, None)
    cases_of_kept = select(ContactLink.case_id).where(ContactLink.contact_key == new_key)
    links = and_(ContactLink.contact_key == old_key, ContactLink.case_id.not_in(cases_of_kept))
    moved["contact_links"] = _count_where(session, ContactLink, links)
    session.execute(
        update(ContactLink)
        .where(links)
        .values(contact_key=new_key, person_id=keep.id)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(ContactLink)
        .where(ContactLink.source_key == old_key)
        .values(source_key=new_key)
        .execution_options(synchronize_session="fetch")
    )
    filled = []
    for detail in _DETAILS:
        if getattr(keep, detail) in (None, "") and getattr(merge, detail) not in (None, ""):
            setattr(keep, detail, getattr(merge, detail))
            filled.append(detail)
    if not keep.full_name.strip() and merge.full_name.strip():
        keep.full_name = merge.full_name
        filled.append("full_name")
    merge.merged_into_id = keep.id
    session.flush()
    return MergeOutcome(kept=keep, merged=merge, moved=moved, filled=tuple(filled))


def _count_where(session: Session, model: Any, condition: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def person_for_visitor(
    principal: Principal | None,
    session: Session,
    action: Action,
    *,
    visitor_id: uuid.UUID,
    ward_code: str,
    chosen: uuid.UUID | None = None,
    new_person: bool = False,
) -> Person:
    """The person record of a visitor entered by hand at a door, when an officer acts on them.

    A visitor already linked keeps their person. Otherwise people whose phone or ID number
    match are candidates, and the officer confirms: without `chosen` (one of the candidates)
    or `new_person`, the answer is 409 with the candidates, even when there is only one (the
    same number may be a relative's phone). Nobody known, or `new_person`, gets a new person
    filed in `ward_code` (the ward where they were exposed, as their home ward is not known).
    The visitor and their contact links point to the person from then on, so the next action
    finds them.
    """
    visitor = session.get(ManualVisitor, visitor_id)
    if visitor is None:
        raise NotFound(N_("This visitor does not exist."))
    if visitor.person_id is not None:
        return people_service.current_person_or_404(session, person_id=visitor.person_id)
    user = require(principal, action)
    ids = people_service.Identifiers(phone=visitor.phone, id_number=visitor.id_number)
    found = people_service.find_candidates(session, ids=ids) if ids else []
    if chosen is not None:
        person = next((c.person for c in found if c.person.id == chosen), None)
        if person is None:
            raise InvalidInput(
                N_("Choose one of the people shown, or a new person."),
                fields={"person_id": N_("Choose one of the people shown.")},
            )
    elif found and not new_person:
        raise people_service.PersonMatch(
            [c.model_dump(mode="json") for c in candidates_out(user, session, action, found)]
        )
    else:
        person = resolve.subject(
            principal,
            session,
            action,
            person_id=None,
            details=resolve.Details(
                full_name=visitor.full_name,
                ward_code=ward_code,
                phone=visitor.phone,
                id_number=visitor.id_number,
            ),
            new_person=True,
        )
    visitor.person_id = person.id
    session.execute(
        update(ContactLink)
        .where(ContactLink.manual_visitor_id == visitor.id, ContactLink.person_id.is_(None))
        .values(person_id=person.id)
    )
    session.flush()
    return person
