"""JSON routes of ad-hoc requests (báo cáo đột xuất): send, list, see who has answered,
answer for a unit, remind the units that have not answered (docs/rollout.md).

The routes are registered on the domain's API router.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.rollout import access, reports
from epitrace.rollout import adhoc as adhoc_service
from epitrace.rollout.api import router
from epitrace.rollout.models import AdhocRequest
from epitrace.rollout.report_routes import actor_of, unit_or_422
from epitrace.rollout.schemas import (
    AdhocAnswerIn,
    AdhocAnswerOut,
    AdhocRecipientOut,
    AdhocRequestIn,
    AdhocRequestOut,
    AdhocSummaryOut,
    RemindOut,
)
from epitrace.security import audit
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.web.deps import CurrentPrincipal, DbSession

BASE = "/adhoc-requests"


def request_out(session: Session, request: AdhocRequest, *, details: bool) -> AdhocRequestOut:
    view = adhoc_service.overview(session, request=request)
    return AdhocRequestOut(
        id=request.id,
        title=request.title,
        questions=list(request.questions),
        area_code=request.area_code,
        deadline=request.deadline,
        created_at=request.created_at,
        closed=view.closed,
        answered=view.answered,
        expected=len(view.rows),
        recipients=[
            AdhocRecipientOut(
                unit_code=r.code,
                unit_name=r.name,
                answered=r.answered,
                overdue=r.overdue,
                answered_at=r.answered_at,
                answered_by=r.answered_by,
                answers=r.answers,
            )
            for r in view.rows
        ]
        if details
        else [],
    )


def answer_out(session: Session, request: AdhocRequest, unit_code: str) -> AdhocAnswerOut:
    found = adhoc_service.get_answer(session, request_id=request.id, unit_code=unit_code)
    return AdhocAnswerOut(
        request_id=request.id,
        unit_code=unit_code,
        questions=list(request.questions),
        answers=list(found.answers) if found else ["" for _ in request.questions],
        answered_at=found.answered_at if found else None,
        deadline=request.deadline,
        closed=adhoc_service.is_closed(request),
    )


@router.get(BASE, response_model=list[AdhocSummaryOut])
def list_adhoc_requests(session: DbSession, principal: CurrentPrincipal) -> list[AdhocSummaryOut]:
    """Requests the caller's area has sent, and requests asked of the caller's own units."""
    user = require(principal, Action.REPORTS_READ)
    items = [
        AdhocSummaryOut(
            id=r.id,
            title=r.title,
            area_code=r.area_code,
            deadline=r.deadline,
            created_at=r.created_at,
        )
        for r in adhoc_service.issued_in(session, area_paths=user.area_paths(Action.REPORTS_FORMS))
    ]
    own = [
        g.area_code
        for g in user.grants_for(Action.REPORTS_WRITE)
        if g.area_code and g.role in reports.AREA_WRITERS
    ]
    items += [
        AdhocSummaryOut(
            id=r.id,
            title=r.title,
            area_code=r.area_code,
            deadline=r.deadline,
            created_at=r.created_at,
            unit_code=code,
        )
        for r, code in adhoc_service.addressed_to(session, unit_codes=own)
    ]
    return items


@router.post(BASE, response_model=AdhocRequestOut, status_code=201)
def create_adhoc_request(
    body: AdhocRequestIn, session: DbSession, principal: CurrentPrincipal
) -> AdhocRequestOut:
    """Send a few questions with a deadline to chosen units of the area (DIC, province)."""
    area = unit_or_422(session, body.area_code)
    user = access.adhoc_issue(session, principal, area.code)
    request = adhoc_service.create(
        session,
        title=body.title,
        questions=body.questions,
        area=area,
        deadline=adhoc_service.deadline_from(body.deadline),
        unit_codes=body.unit_codes,
        all_of=body.all_of,
        created_by=user.user_id,
    )
    audit.record(
        session, actor=user, action="create", subject_type="adhoc_request", subject_id=request.id
    )
    return request_out(session, request, details=True)


@router.get(BASE + "/{request_id}", response_model=AdhocRequestOut)
def get_adhoc_request(
    request_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AdhocRequestOut:
    """Who has answered (and who is overdue), with the answers (the issuing area)."""
    request = adhoc_service.get(session, request_id=request_id)
    user = access.adhoc_issue(session, principal, request.area_code)
    audit.record(
        session, actor=user, action="read", subject_type="adhoc_request", subject_id=request.id
    )
    return request_out(session, request, details=True)


@router.get(BASE + "/{request_id}/answers/{unit_code}", response_model=AdhocAnswerOut)
def get_adhoc_answer(
    request_id: uuid.UUID, unit_code: str, session: DbSession, principal: CurrentPrincipal
) -> AdhocAnswerOut:
    """A unit's answers (empty until it answers): the unit's own officials."""
    request = adhoc_service.get(session, request_id=request_id)
    unit = unit_or_422(session, unit_code)
    access.adhoc_answer(session, principal, unit.code)
    adhoc_service.check_recipient(session, request, unit.code)
    return answer_out(session, request, unit.code)


@router.put(BASE + "/{request_id}/answers/{unit_code}", response_model=AdhocAnswerOut)
def answer_adhoc_request(
    request_id: uuid.UUID,
    unit_code: str,
    body: AdhocAnswerIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AdhocAnswerOut:
    """Answer (or change the answer) for a unit, until the deadline (409 after it)."""
    request = adhoc_service.get(session, request_id=request_id)
    unit = unit_or_422(session, unit_code)
    user = access.adhoc_answer(session, principal, unit.code)
    adhoc_service.answer(
        session, request=request, unit_code=unit.code, answers=body.answers, actor=actor_of(user)
    )
    audit.record(
        session,
        actor=user,
        action="answer",
        subject_type="adhoc_request",
        subject_id=f"{request.id}/{unit.code}",
    )
    return answer_out(session, request, unit.code)


@router.post(BASE + "/{request_id}/remind", response_model=RemindOut)
def remind_adhoc_request(
    request_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> RemindOut:
    """Send an in-app reminder to the staff of every unit that has not answered."""
    request = adhoc_service.get(session, request_id=request_id)
    user = access.adhoc_issue(session, principal, request.area_code)
    result = adhoc_service.remind(session, request=request)
    audit.record(
        session,
        actor=user,
        action="remind",
        subject_type="adhoc_request",
        subject_id=request.id,
        detail={"units": result.units, "recipients": result.recipients},
    )
    return RemindOut(
        units=result.units,
        recipients=result.recipients,
        duplicates=result.duplicates,
        without_staff=result.without_staff,
    )
