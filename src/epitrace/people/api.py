"""JSON routes: match details to known people, search people, merge two records of one human."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from epitrace.people import access, flows, record
from epitrace.people import service as people_service
from epitrace.people.schemas import (
    CandidateOut,
    HealthRecordOut,
    MatchIn,
    MergeIn,
    MergeOut,
    RecordCaseOut,
    RecordDeclarationOut,
    RecordOrderOut,
    RecordPresenceOut,
    RecordTestOut,
)
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession
from epitrace.web.fields import Limit
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["people"])


@router.post("/people/match", response_model=list[CandidateOut])
def match(body: MatchIn, session: DbSession, principal: CurrentPrincipal) -> list[CandidateOut]:
    """Known people with this phone number or ID number, with the evidence of each match."""
    user = access.search_people(principal, session, None)
    ids = people_service.identifiers(phone=body.phone, id_number=body.id_number)
    found = people_service.find_candidates(session, ids=ids)
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="person",
        subject_id="*",
        purpose="identity match",
        detail={"matched": [str(c.person.id) for c in found]},
    )
    return access.candidates_out(user, session, Action.PEOPLE_SEARCH, found)


@router.get("/people", response_model=list[CandidateOut])
def search(
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=100, description="Name, mobile or ID number.")] = "",
    ward: Annotated[str, Query(max_length=16)] = "",
    limit: Limit = 50,
) -> list[CandidateOut]:
    """People of your area by name (with or without diacritics), phone, ID number or ward."""
    user = access.search_people(principal, session, ward or None)
    found = people_service.search(
        session,
        area_paths=user.area_paths(Action.PEOPLE_SEARCH),
        query=people_service.parse_query(q),
        ward_code=ward or None,
        limit=limit,
    )
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="person",
        subject_id="*",
        purpose="person search",
        detail={"ward": ward or None, "ids": [str(c.person.id) for c in found]},
    )
    return access.candidates_out(user, session, Action.PEOPLE_SEARCH, found)


@router.post("/people/merge", response_model=MergeOut)
def merge(body: MergeIn, session: DbSession, principal: CurrentPrincipal) -> MergeOut:
    """Merge two records of the same human: everything moves to `keep_id`; history stays."""
    keep = people_service.current_person_or_404(session, person_id=body.keep_id)
    other = people_service.get_person_or_404(session, person_id=body.merge_id)
    user = access.merge_people(principal, session, keep, other)
    outcome = flows.merge_people(session, keep=keep, merge=other)
    for subject, role in ((keep.id, "kept"), (other.id, "merged")):
        audit.record(
            session,
            actor=user,
            action="merge",
            subject_type="person",
            subject_id=subject,
            purpose="identity merge",
            detail={"role": role, "kept": str(keep.id), "merged": str(other.id), **outcome.moved},
        )
    return MergeOut(
        person_id=keep.id,
        merged_id=other.id,
        moved=outcome.moved,
        filled=list(outcome.filled),
    )


@router.get(
    "/people/{person_id}/record",
    response_model=HealthRecordOut,
    responses={428: {"description": "No active case covers the person: state a purpose."}},
)
def health_record(
    person_id: uuid.UUID,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    purpose: Annotated[
        str,
        Query(max_length=40, description="Why the record is read (see the 428 answer's list)."),
    ] = "",
    note: Annotated[str, Query(max_length=record.NOTE_MAX)] = "",
) -> HealthRecordOut:
    """A named person's health record. Outside an active case a purpose is required (428
    lists them); every read is written to the audit log with its purpose."""
    found = record.read(
        session, settings, principal=principal, person_id=person_id, purpose=purpose, note=note
    )
    return record_out(found)


def record_out(found: record.HealthRecord) -> HealthRecordOut:
    person = found.person
    return HealthRecordOut(
        person_id=person.id,
        full_name=person.full_name,
        phone=person.phone,
        birth_year=person.birth_year,
        ward_code=found.ward_code,
        ward_name=found.ward_name,
        context=found.context,
        purpose=found.purpose,
        declarations=[
            RecordDeclarationOut(
                id=d.id,
                submitted_at=d.submitted_at,
                ward_code=d.ward_code,
                symptoms=list(d.symptoms or []),
                exposures=list(d.exposures or []),
                test_kind=d.test_kind,
                test_result=d.test_result,
            )
            for d in found.declarations
        ],
        lab_tests=[
            RecordTestOut(id=t.id, test_type=t.test_type, sampled_at=t.sampled_at, result=t.result)
            for t in found.lab_tests
        ],
        cases=[
            RecordCaseOut(
                id=c.id, confirmed_at=c.confirmed_at, status=c.status, ward_code=c.ward_code
            )
            for c in found.cases
        ],
        quarantine_orders=[
            RecordOrderOut(
                id=o.id,
                reason=o.reason,
                kind=o.kind,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                status=o.status,
            )
            for o in found.orders
        ],
        check_ins=[
            RecordPresenceOut(
                venue_id=p.venue_id, venue_name=name, entered_at=p.entered_at, left_at=p.left_at
            )
            for p, name in found.presences
        ],
    )
