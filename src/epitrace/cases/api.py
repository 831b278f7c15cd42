"""JSON routes for cases, tests, quarantine orders, follow-up and breaches."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from fastapi import Response

from epitrace.cases import access, export
from epitrace.cases import flows as case_flows
from epitrace.cases import service as case_service
from epitrace.cases.models import Case, FollowUpOutcome, LabTest, QuarantineOrder
from epitrace.cases.schemas import (
    BreachOut,
    CaseIn,
    CaseOut,
    FollowUpOut,
    NewPerson,
    OrderIn,
    OrderOut,
    QuarantineRow,
    SelfReportIn,
    TestIn,
    TestOut,
    VisitIn,
)
from epitrace.db import utcnow
from epitrace.errors import N_, NotFound
from epitrace.people import resolve
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.web import exports
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["cases"])


def _details(person: NewPerson | None) -> resolve.Details | None:
    return resolve.Details(**person.model_dump()) if person is not None else None


def _case_out(session: DbSession, case: Case) -> CaseOut:
    out = CaseOut.model_validate(case)
    out.full_name = case_service.get_person_or_404(session, person_id=case.person_id).full_name
    return out


@router.post("/cases", response_model=CaseOut, status_code=201)
def create_case(body: CaseIn, session: DbSession, principal: CurrentPrincipal) -> CaseOut:
    """Register a confirmed case (F0) for a known person or a new one.

    Details (`person`) whose phone or ID number match known people answer 409 with the
    candidates (`candidates`, with the evidence of each match): send the chosen `person_id`,
    or `new_person: true`. A known person is checked by the area stored for them, a new one
    by the ward given for them; a `ward_code` to file the case in must lie in the caller's
    area too.
    """
    access.manage_cases(principal, session, None)
    person = resolve.subject(
        principal,
        session,
        Action.CASES_MANAGE,
        person_id=body.person_id,
        details=_details(body.person),
        new_person=body.new_person,
    )
    scope = access.for_person(
        principal, session, Action.CASES_MANAGE, person, named_ward=body.ward_code
    )
    case = case_service.create_case(
        session,
        person=person,
        ward_code=scope.ward_code,
        test_type=body.test_type,
        sampled_at=body.sampled_at,
        onset_at=body.onset_at,
        isolated_at=body.isolated_at,
        isolation_place=body.isolation_place,
        notes=body.notes,
        created_by=scope.principal.user_id,
    )
    audit.record(
        session, actor=scope.principal, action="create", subject_type="case", subject_id=case.id
    )
    return _case_out(session, case)


@router.get("/cases", response_model=list[CaseOut])
def list_cases(session: DbSession, principal: CurrentPrincipal) -> list[CaseOut]:
    """Cases in the caller's areas, newest first (identities: health officers and admins)."""
    user = access.read_identities(principal, session, None)
    cases = case_service.get_all(session, area_paths=user.area_paths(Action.TRACING_IDENTITIES))
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="case",
        subject_id="*",
        detail={"count": len(cases)},
    )
    audit.record_person_read(
        session, actor=user, person_ids=[c.person_id for c in cases], purpose="case list"
    )
    return [_case_out(session, c) for c in cases]


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> CaseOut:
    """One case with the person's name."""
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.read_identities(principal, session, case.ward_code)
    audit.record(session, actor=user, action="read", subject_type="case", subject_id=case.id)
    audit.record_person_read(session, actor=user, person_ids=[case.person_id], purpose="case")
    return _case_out(session, case)


@router.post("/tests", response_model=TestOut, status_code=201)
def record_test(body: TestIn, session: DbSession, principal: CurrentPrincipal) -> LabTest:
    """Record a rapid or PCR test; `promote` turns a positive PCR into a case.

    The person is chosen or matched as for a case (409 with the candidates on a match).
    """
    access.manage_cases(principal, session, None)
    person = resolve.subject(
        principal,
        session,
        Action.CASES_MANAGE,
        person_id=body.person_id,
        details=_details(body.person),
        new_person=body.new_person,
    )
    scope = access.for_person(
        principal, session, Action.CASES_MANAGE, person, named_ward=body.ward_code
    )
    test = case_service.record_test(
        session,
        person=person,
        test_type=body.test_type,
        sampled_at=body.sampled_at,
        result=body.result,
        promote=body.promote,
        ward_code=scope.ward_code,
        recorded_by=scope.principal.user_id,
    )
    audit.record(
        session,
        actor=scope.principal,
        action="create",
        subject_type="lab_test",
        subject_id=person.id,
    )
    return test


@router.post("/quarantine", response_model=OrderOut, status_code=201)
def issue_order(body: OrderIn, session: DbSession, principal: CurrentPrincipal) -> QuarantineOrder:
    """Order quarantine at home or in a facility; dates and tests follow the policy.

    The person is chosen or matched as for a case (409 with the candidates on a match).
    """
    access.manage_quarantine(principal, session, None)
    person = resolve.subject(
        principal,
        session,
        Action.QUARANTINE_MANAGE,
        person_id=body.person_id,
        details=_details(body.person),
        new_person=body.new_person,
    )
    scope = access.for_person(
        principal, session, Action.QUARANTINE_MANAGE, person, named_ward=body.ward_code
    )
    return case_flows.order_quarantine(
        session,
        actor=scope.principal,
        person=person,
        reason=body.reason,
        kind=body.kind,
        ward_code=scope.ward_code,
        starts_at=body.starts_at or utcnow(),
        facility_name=body.facility_name,
        case_id=body.case_id,
    )


def _quarantine_rows(
    session: DbSession, principal: CurrentPrincipal, ward: str | None, which: str
) -> list[QuarantineRow]:
    user = access.manage_quarantine(principal, session, ward)
    now = utcnow()
    orders = case_service.active_orders(
        session, area_paths=user.area_paths(Action.QUARANTINE_MANAGE), now=now, ward_code=ward
    )
    missing = {o.id for o in case_service.not_reported_today(session, orders=orders, now=now)}
    due = {o.id for o in case_service.tests_due(orders, now=now)}
    if which == "missing":
        orders = [o for o in orders if o.id in missing]
    elif which == "tests_due":
        orders = [o for o in orders if o.id in due]
    rows = []
    for o in orders:
        person = case_service.get_person_or_404(session, person_id=o.person_id)
        rows.append(
            QuarantineRow(
                order=OrderOut.model_validate(o),
                full_name=person.full_name,
                phone=person.phone,
                reported_today=o.id not in missing,
                test_due_today=o.id in due,
            )
        )
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="quarantine_order",
        subject_id="*",
        detail={"ward": ward, "list": which, "count": len(rows)},
    )
    audit.record_person_read(
        session, actor=user, person_ids=[r.order.person_id for r in rows], purpose="quarantine list"
    )
    return rows


@router.get("/quarantine", response_model=list[QuarantineRow])
def list_quarantine(
    session: DbSession,
    principal: CurrentPrincipal,
    ward: str | None = None,
    list: Literal["all", "missing", "tests_due"] = "all",
) -> list[QuarantineRow]:
    """People under quarantine now; `list=missing` (no report today) or `tests_due`."""
    return _quarantine_rows(session, principal, ward, list)


@router.get("/quarantine/export.{fmt}", responses=exports.RESPONSES)
def export_quarantine(
    fmt: exports.Format, session: DbSession, principal: CurrentPrincipal, ward: str | None = None
) -> Response:
    """The quarantine list as XLSX or CSV (Vietnamese headers), optionally for one ward."""
    rows = _quarantine_rows(session, principal, ward, "all")
    kinds = {"home": "Tại nhà", "facility": "Tập trung"}
    table = [
        (
            r.full_name,
            r.phone,
            r.order.reason.upper(),
            kinds[r.order.kind.value],
            r.order.facility_name,
            r.order.ward_code,
            place_service.name_of(session, r.order.ward_code),
            r.order.starts_at,
            r.order.ends_at,
            ", ".join(date.fromisoformat(d).strftime("%d/%m/%Y") for d in r.order.test_days),
            "Có" if r.reported_today else "Chưa",
        )
        for r in rows
    ]
    return exports.respond(
        fmt, [export.quarantine_sheet(table)], name_parts=["cach-ly", ward or "tat-ca"]
    )


@router.post("/quarantine/{order_id}/visits", response_model=FollowUpOut, status_code=201)
def record_visit(
    order_id: uuid.UUID, body: VisitIn, session: DbSession, principal: CurrentPrincipal
) -> object:
    """A health worker's visit: seen well, seen unwell or missed."""
    order = case_service.get_order_or_404(session, order_id=order_id)
    user = access.manage_quarantine(principal, session, order.ward_code)
    return case_flows.report_health(
        session,
        order=order,
        source="visit",
        outcome=body.outcome,
        at=utcnow(),
        temperature=body.temperature,
        symptoms=body.symptoms,
        recorded_by=user.user_id,
    )


@router.get("/quarantine/breaches", response_model=list[BreachOut])
def list_breaches(session: DbSession, principal: CurrentPrincipal) -> list[BreachOut]:
    """Check-ins of people under home quarantine outside their allowed venues, with names."""
    user = access.manage_quarantine(principal, session, None)
    rows = case_service.breach_rows(session, area_paths=user.area_paths(Action.QUARANTINE_MANAGE))
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="quarantine_breach",
        subject_id="*",
        detail={"count": len(rows)},
    )
    return [
        BreachOut.model_validate(r.breach).model_copy(
            update={"full_name": r.full_name, "phone": r.phone, "venue_name": r.venue_name}
        )
        for r in rows
    ]


@router.get("/me/quarantine", response_model=OrderOut | None)
def my_order(session: DbSession, principal: CurrentPrincipal) -> QuarantineOrder | None:
    """The citizen's own quarantine order running today, if any."""
    user = access.citizen_self(principal)
    if user.person_id is None:
        return None
    return case_service.active_order_of(session, person_id=user.person_id, now=utcnow())


@router.post("/me/quarantine/report", response_model=FollowUpOut, status_code=201)
def self_report(body: SelfReportIn, session: DbSession, principal: CurrentPrincipal) -> object:
    """Today's report from the person under quarantine: well, or the symptoms they have."""
    user = access.citizen_self(principal)
    now = utcnow()
    order = (
        case_service.active_order_of(session, person_id=user.person_id, now=now)
        if user.person_id
        else None
    )
    if order is None:
        raise NotFound(N_("You have no quarantine order running today."))
    outcome = (
        FollowUpOutcome.REPORTED_SYMPTOMS
        if body.symptoms.strip() or (body.temperature or 0) >= 37.5
        else FollowUpOutcome.REPORTED_WELL
    )
    return case_flows.report_health(
        session,
        order=order,
        source="self",
        outcome=outcome,
        at=now,
        temperature=body.temperature,
        symptoms=body.symptoms,
    )
