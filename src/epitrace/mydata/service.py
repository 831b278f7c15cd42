"""What is held about a citizen and their dependents, and who read or changed it.

Reads only: each domain's service gives its rows; the access history comes from the audit
log, matched by the ids of the person's records (docs/privacy.md, "Your rights").
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person, UserAccount
from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.cases import service as case_service
from epitrace.cases.schemas import CaseOut, FollowUpOut, OrderOut, TestOut
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import Presence
from epitrace.checkins.schemas import PresenceOut
from epitrace.config import Settings
from epitrace.declarations import service as declaration_service
from epitrace.declarations.schemas import DeclarationOut
from epitrace.errors import N_
from epitrace.feedback import service as feedback_service
from epitrace.feedback.schemas import FeedbackOut
from epitrace.mydata.models import ErasureRequest
from epitrace.mydata.schemas import (
    AccessOut,
    AccountOut,
    ErasureOut,
    MyDataOut,
    NoticeOut,
    PassOut,
    PersonDataOut,
    VisitOut,
)
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.models import AuditEntry, AuditNamedPerson
from epitrace.security.roles import Role
from epitrace.venues.models import Venue
from epitrace.web import i18n
from epitrace.web.pages import ROLE_NAMES

# Check-ins older than this are not stored anyway (the retention period is shorter).
CHECKIN_HISTORY_DAYS = 3650
ACCESS_HISTORY_LIMIT = 500

# What holds an erasure request (`mydata.flows.holds`), as shown to the citizen.
REASON_TEXTS = {
    "active_case": N_("An active case: the health station still treats or isolates it."),
    "pending_test": N_("A test result is still awaited."),
    "quarantine": N_("A quarantine order is not over yet."),
    "open_trace": N_("A contact tracing still works on a recent exposure."),
    "recent_checkins": N_(
        "Recent check-ins: they are kept for the tracing period in case a case is found."
    ),
}


def notice_of(account: UserAccount) -> NoticeOut:
    return NoticeOut(
        version=PRIVACY_NOTICE_VERSION,
        accepted_version=account.privacy_notice_version,
        accepted_at=account.privacy_notice_accepted_at,
        accepted=account.privacy_notice_version == PRIVACY_NOTICE_VERSION,
    )


def _person_data(
    session: Session,
    person: Person,
    relationship: str,
    visits: Sequence[tuple[Presence, Venue, str]],
    settings: Settings,
    now: datetime,
) -> PersonDataOut:
    health = case_service.records_of(session, person_ids=[person.id])
    current = declaration_service.get_status(
        session, person_id=person.id, policy=settings.status_policy, now=now
    )
    ward_name = place_service.label_of(session, person.ward_code) if person.ward_code else None
    return PersonDataOut(
        id=person.id,
        relationship=relationship,
        full_name=person.full_name,
        phone=person.phone,
        id_number=person.id_number,
        birth_year=person.birth_year,
        gender=person.gender,
        ward_code=person.ward_code,
        ward_name=ward_name,
        address=person.address,
        created_at=person.created_at,
        current_pass=PassOut(
            colour=current.colour.label,
            reason=i18n.gettext(current.reason, **current.params),
        ),
        declarations=[
            DeclarationOut.model_validate(d)
            for d in declaration_service.get_history(session, person_id=person.id, limit=10_000)
        ],
        checkins=[
            VisitOut(
                presence=PresenceOut.model_validate(p),
                venue_name=v.name,
                venue_address=v.address or "",
            )
            for p, v, _name in visits
            if p.person_id == person.id
        ],
        cases=[CaseOut.model_validate(c) for c in health.cases],
        tests=[TestOut.model_validate(t) for t in health.tests],
        quarantine_orders=[OrderOut.model_validate(o) for o in health.orders],
        quarantine_follow_ups=[FollowUpOut.model_validate(f) for f in health.follow_ups],
        feedback=[
            FeedbackOut(
                id=f.id,
                category=f.category,
                ward_code=f.ward_code,
                text=f.text,
                has_photo=f.photo_file is not None,
                status=f.status,
                answer=f.answer,
                answered_by_label=f.answered_by_label,
                answered_at=f.answered_at,
                closed_at=f.closed_at,
                created_at=f.created_at,
            )
            for f in feedback_service.get_mine(session, person_id=person.id)
        ],
    )


def collect(
    session: Session,
    *,
    account: UserAccount,
    person_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> tuple[AccountOut, list[PersonDataOut]]:
    """The account and everything held about its holder and each dependent."""
    me = account_service.get_person(session, person_id=person_id)
    dependents = account_service.get_dependents(session, guardian_id=me.id)
    visits = checkin_service.history(
        session,
        person_id=me.id,
        since=now - timedelta(days=CHECKIN_HISTORY_DAYS),
        limit=100_000,
    )
    people = [_person_data(session, me, "self", visits, settings, now)]
    people += [
        _person_data(session, d, d.relationship_to_guardian or "dependent", visits, settings, now)
        for d in dependents
    ]
    account_out = AccountOut(
        phone=account.phone, created_at=account.created_at, last_login_at=account.last_login_at
    )
    return account_out, people


# -- who read or changed the records ---------------------------------------------------------


@dataclass(frozen=True)
class Subjects:
    """The audit subjects that are records of these people: (type, id) → person id."""

    owners: dict[tuple[str, str], uuid.UUID]
    person_ids: list[uuid.UUID]

    def condition(self) -> ColumnElement[bool]:
        by_type: dict[str, list[str]] = {}
        for subject_type, subject_id in self.owners:
            by_type.setdefault(subject_type, []).append(subject_id)
        exact = [
            and_(AuditEntry.subject_type == kind, AuditEntry.subject_id.in_(ids))
            for kind, ids in by_type.items()
        ]
        # searches and matches log one entry naming the people found (audit_named_person)
        named = AuditEntry.id.in_(
            select(AuditNamedPerson.entry_id).where(AuditNamedPerson.person_id.in_(self.person_ids))
        )
        return or_(*exact, named)

    def owner_of(self, entry: AuditEntry) -> uuid.UUID | None:
        owner = self.owners.get((entry.subject_type, entry.subject_id))
        if owner is not None:
            return owner
        named = set(audit.named_people(entry.detail))
        return next((p for p in self.person_ids if p in named), None)


def subjects_of(session: Session, *, person_ids: Sequence[uuid.UUID]) -> Subjects:
    owners: dict[tuple[str, str], uuid.UUID] = {}
    for person_id in person_ids:
        owners[("person", str(person_id))] = person_id
        owners[("lab_test", str(person_id))] = person_id  # tests are logged by person
    health = case_service.records_of(session, person_ids=person_ids)
    for case in health.cases:
        owners[("case", str(case.id))] = case.person_id
        owners[("case_contacts", str(case.id))] = case.person_id
    for order in health.orders:
        owners[("quarantine_order", str(order.id))] = order.person_id
    for person_id in person_ids:
        for declaration in declaration_service.get_history(
            session, person_id=person_id, limit=10_000
        ):
            owners[("declaration", str(declaration.id))] = person_id
        for feedback in feedback_service.get_mine(session, person_id=person_id):
            owners[("feedback", str(feedback.id))] = person_id
    for account in account_service.accounts_of(session, person_ids=person_ids):
        if account.person_id is not None:
            owners[("user_account", str(account.id))] = account.person_id
            owners[("user", str(account.id))] = account.person_id
    return Subjects(owners=owners, person_ids=list(person_ids))


@dataclass(frozen=True)
class Reader:
    roles: list[str]
    units: list[str]
    name: str | None


def _reader(session: Session, actor_id: uuid.UUID | None, label: str, names: bool) -> Reader:
    if actor_id is None:
        return Reader([i18n.gettext("System (scheduled job or command line)")], [], None)
    account = account_service.get_account(session, user_id=actor_id)
    if account is None:
        return Reader([i18n.gettext("Staff (account since removed)")], [], label if names else None)
    if account.kind == "citizen":
        return Reader([i18n.gettext(ROLE_NAMES[Role.CITIZEN])], [], None)
    roles = sorted({i18n.gettext(ROLE_NAMES[g.role]) for g in account.grants})
    units = sorted(
        {
            place_service.label_of(session, g.area_code)
            if g.area_code
            else i18n.gettext("Whole country")
            for g in account.grants
        }
    )
    return Reader(roles, units, (account.display_name or label) if names else None)


def access_history(
    session: Session,
    *,
    person_ids: Sequence[uuid.UUID],
    own_account_ids: Sequence[uuid.UUID],
    show_names: bool,
    limit: int = ACCESS_HISTORY_LIMIT,
) -> list[AccessOut]:
    """Every logged read or change of these people's records by anyone but themselves.

    Staff are shown by role and unit (their current grants); by name only when the
    deployment chose so (`privacy_show_staff_names`).
    """
    subjects = subjects_of(session, person_ids=person_ids)
    stmt = select(AuditEntry).where(subjects.condition())
    if own_account_ids:
        stmt = stmt.where(
            or_(AuditEntry.actor_id.is_(None), AuditEntry.actor_id.not_in(own_account_ids))
        )
    entries = session.scalars(stmt.order_by(AuditEntry.at.desc()).limit(limit)).all()
    readers: dict[uuid.UUID | None, Reader] = {}
    out = []
    for entry in entries:
        if entry.actor_id not in readers:
            readers[entry.actor_id] = _reader(
                session, entry.actor_id, entry.actor_label, show_names
            )
        reader = readers[entry.actor_id]
        who = ", ".join(reader.roles)
        if reader.units:
            who += " — " + ", ".join(reader.units)
        if reader.name:
            who = f"{reader.name} ({who})"
        out.append(
            AccessOut(
                at=entry.at,
                action=entry.action,
                what=entry.subject_type,
                person_id=subjects.owner_of(entry),
                purpose=entry.purpose,
                who=who,
                roles=reader.roles,
                units=reader.units,
                name=reader.name,
            )
        )
    return out


# -- the whole copy ----------------------------------------------------------------------------


def erasure_out(request: ErasureRequest) -> ErasureOut:
    return ErasureOut(
        id=request.id,
        status="done" if request.status == "done" else "queued",
        reasons=list(request.reasons),
        reason_texts=[i18n.gettext(REASON_TEXTS.get(r, r)) for r in request.reasons],
        possible_on=request.possible_on,
        requested_at=request.requested_at,
        done_at=request.done_at,
        people=request.people,
        erased=dict(request.erased),
    )


def my_data(
    session: Session,
    *,
    account: UserAccount,
    person_id: uuid.UUID,
    settings: Settings,
    now: datetime,
    erasure: ErasureRequest | None,
) -> MyDataOut:
    account_out, people = collect(
        session, account=account, person_id=person_id, settings=settings, now=now
    )
    return MyDataOut(
        generated_at=now,
        notice=notice_of(account),
        account=account_out,
        people=people,
        erasure=erasure_out(erasure) if erasure is not None else None,
    )
