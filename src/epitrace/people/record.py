"""A named person's health record for staff, read only for a stated purpose.

Health officers and ward officials read what the health system holds about one person
(declarations, tests, cases, quarantine orders, check-ins) on `/people/{id}/record`. While the
person is part of an active case (the case itself, a contact found by a trace of an active
case, or under an active quarantine order) the case is the purpose. Otherwise the reader must
say why, choosing from `PURPOSES` (and describing "other"); the purpose and the note go into
the audit log with the person's ward, which the access oversight (`security.oversight`) reads.
See docs/privacy.md, "Purpose-bound staff access".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases import access as case_access
from epitrace.cases import service as case_service
from epitrace.cases.models import Case, CaseStatus, LabTest, QuarantineOrder, QuarantineStatus
from epitrace.checkins.models import Presence
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.declarations.models import Declaration
from epitrace.errors import N_, DomainError, InvalidInput
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.security.roles import Action
from epitrace.tracing.models import ContactLink
from epitrace.venues.models import Venue
from epitrace.web import i18n

# The purposes a reader may state when no active case covers the person (stored code → label).
PURPOSES: dict[str, str] = {
    "declaration_follow_up": N_("Follow up a health declaration"),
    "quarantine_supervision": N_("Supervise a quarantine or isolation"),
    "test_result": N_("Record or check a test result"),
    "citizen_request": N_("The person asked for help"),
    "record_correction": N_("Correct the person's record"),
    "other": N_("Other (describe below)"),
}
# What an active case means for the audit log: the purpose recorded without asking.
CASE_CONTEXTS: dict[str, str] = {
    "active_case": N_("The person's own active case"),
    "case_contact": N_("Contact of an active case"),
    "active_quarantine": N_("Under an active quarantine order"),
}
NOTE_MAX = 300
SUBJECT_TYPE = "person"
RECORD_KIND = "health_record"
# how much of each list the page shows (the download of "My data" gives the person all of it)
LIST_LIMIT = 50


class PurposeRequired(DomainError):
    """428: the request must state why the record is read (no active case covers the person)."""

    status_code = 428
    code = "purpose_required"

    def details(self) -> dict[str, Any]:
        return {
            "purposes": [
                {"code": code, "label": i18n.gettext(label)} for code, label in PURPOSES.items()
            ]
        }


@dataclass
class HealthRecord:
    person: Person
    ward_code: str | None
    ward_name: str | None
    context: str | None  # a CASE_CONTEXTS key, or None when a purpose was stated
    purpose: str  # the stored purpose code (a context or a PURPOSES key)
    declarations: list[Declaration] = field(default_factory=list)
    lab_tests: list[LabTest] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    orders: list[QuarantineOrder] = field(default_factory=list)
    presences: list[tuple[Presence, str]] = field(default_factory=list)  # (presence, venue name)


def case_context(session: Session, *, person_id: uuid.UUID) -> str | None:
    """Why an active case already covers reading this person's record, or None."""
    if session.scalar(
        select(Case.id).where(Case.person_id == person_id, Case.status == CaseStatus.ACTIVE)
    ):
        return "active_case"
    if session.scalar(
        select(ContactLink.case_id)
        .join(Case, Case.id == ContactLink.case_id)
        .where(ContactLink.person_id == person_id, Case.status == CaseStatus.ACTIVE)
        .limit(1)
    ):
        return "case_contact"
    if session.scalar(
        select(QuarantineOrder.id).where(
            QuarantineOrder.person_id == person_id,
            QuarantineOrder.status == QuarantineStatus.ACTIVE,
            QuarantineOrder.ends_at > utcnow(),
        )
    ):
        return "active_quarantine"
    return None


def check_purpose(purpose: str | None, note: str) -> tuple[str, str]:
    """The stated purpose and note, or a refusal saying what is missing."""
    purpose = (purpose or "").strip()
    note = " ".join(note.split())
    if not purpose:
        raise PurposeRequired(
            N_(
                "This person is not part of an active case: choose the purpose of reading "
                "their health record."
            ),
            fields={"purpose": N_("Choose a purpose.")},
        )
    if purpose not in PURPOSES:
        raise InvalidInput(
            N_("Choose one of the listed purposes."),
            fields={"purpose": N_("Choose one of the listed purposes.")},
        )
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            N_("The note may be at most %(n)s characters."),
            params={"n": NOTE_MAX},
            fields={"note": N_("Shorten the note.")},
        )
    if purpose == "other" and len(note) < 5:
        raise InvalidInput(
            N_("Describe the purpose in a few words."),
            fields={"note": N_("Describe the purpose in a few words.")},
        )
    return purpose, note


def read(
    session: Session,
    settings: Settings,
    *,
    principal: Principal | None,
    person_id: uuid.UUID,
    purpose: str | None,
    note: str = "",
) -> HealthRecord:
    """The person's health record, after the area check and the purpose rule; audited."""
    person = case_service.get_person_or_404(session, person_id=person_id)
    scope = case_access.for_person(principal, session, Action.PEOPLE_RECORD, person)
    context = case_context(session, person_id=person.id)
    if context is None:
        purpose, note = check_purpose(purpose, note)
        stored = purpose
    else:
        note = " ".join(note.split())[:NOTE_MAX]
        stored = context
    ward = case_service.person_ward(session, person=person)
    audit.record(
        session,
        actor=scope.principal,
        action="read",
        subject_type=SUBJECT_TYPE,
        subject_id=person.id,
        purpose=stored,
        detail={"record": RECORD_KIND, "ward": ward, "note": note, "in_case": context},
    )
    names = place_service.names_of(session, codes=[ward]) if ward else {}
    since = utcnow() - timedelta(days=settings.retention_days)
    presences = session.execute(
        select(Presence, Venue.name)
        .join(Venue, Venue.id == Presence.venue_id)
        .where(Presence.person_id == person.id, Presence.entered_at >= since)
        .order_by(Presence.entered_at.desc())
        .limit(LIST_LIMIT)
    ).all()
    return HealthRecord(
        person=person,
        ward_code=ward,
        ward_name=names.get(ward or ""),
        context=context,
        purpose=stored,
        declarations=list(
            session.scalars(
                select(Declaration)
                .where(Declaration.person_id == person.id)
                .order_by(Declaration.submitted_at.desc())
                .limit(LIST_LIMIT)
            )
        ),
        lab_tests=list(
            session.scalars(
                select(LabTest)
                .where(LabTest.person_id == person.id)
                .order_by(LabTest.sampled_at.desc())
                .limit(LIST_LIMIT)
            )
        ),
        cases=list(
            session.scalars(
                select(Case).where(Case.person_id == person.id).order_by(Case.confirmed_at.desc())
            )
        ),
        orders=list(
            session.scalars(
                select(QuarantineOrder)
                .where(QuarantineOrder.person_id == person.id)
                .order_by(QuarantineOrder.starts_at.desc())
            )
        ),
        presences=[(p, name) for p, name in presences],
    )
