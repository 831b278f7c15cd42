"""JSON routes: match details to known people, search people, merge two records of one human."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from epitrace.people import access, flows
from epitrace.people import service as people_service
from epitrace.people.schemas import CandidateOut, MatchIn, MergeIn, MergeOut
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.web.deps import CurrentPrincipal, DbSession
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
