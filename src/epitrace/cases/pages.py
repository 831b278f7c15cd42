"""Pages: case list and registration, a case with its trace, the transmission graph, quarantine
lists and visits, and the citizen's daily quarantine report."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from epitrace.cases import access
from epitrace.cases import flows as case_flows
from epitrace.cases import service as case_service
from epitrace.cases.models import Case, FollowUpOutcome, QuarantineKind, TestType
from epitrace.db import utcnow
from epitrace.errors import N_, DomainError, InvalidInput
from epitrace.people import flows as people_flows
from epitrace.people import resolve
from epitrace.people.service import PersonMatch
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.tracing import flows as tracing_flows
from epitrace.tracing import service as tracing_service
from epitrace.web import fields, i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.redirects import safe_next
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

STATUS_NAMES = {
    "active": N_("under treatment"),
    "recovered": N_("recovered"),
    "died": N_("died"),
    "reported_well": N_("reported: well"),
    "reported_symptoms": N_("reported: symptoms"),
    "seen_well": N_("visited: seen well"),
    "seen_unwell": N_("visited: seen unwell"),
    "missed": N_("visited: not found at home"),
}


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    user = access.read_identities(principal, session, None)
    ensure_csrf(request)
    cases = case_service.get_all(session, area_paths=user.area_paths(Action.TRACING_IDENTITIES))
    names = {
        c.person_id: case_service.get_person_or_404(session, person_id=c.person_id).full_name
        for c in cases
    }
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
    return render(
        request,
        "cases/index.html",
        {
            "cases": cases,
            "names": names,
            "can_register": user.can(Action.CASES_MANAGE),
            "status_names": STATUS_NAMES,
        },
    )


MATCHED_ON = {"phone": N_("phone number"), "id_number": N_("ID number")}


def _form_page(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    candidates: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "errors": errors,
            "test_types": [t.value for t in TestType],
            "candidates": candidates or [],
            "matched_on": MATCHED_ON,
        },
        status_code=status,
    )


@router.get("/cases/new", response_class=HTMLResponse)
def case_new(
    request: Request, session: DbSession, principal: CurrentPrincipal, person_id: str = ""
) -> HTMLResponse:
    access.manage_cases(principal, session, None)
    ensure_csrf(request)
    return _form_page(request, {"person_id": person_id, "test_type": "pcr"}, {})


@router.post("/cases/new", response_class=HTMLResponse)
def case_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    person_id: Annotated[str, Form(max_length=40)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    id_number: Annotated[str, Form(max_length=20)] = "",
    birth_year: Annotated[str, Form(max_length=4)] = "",
    ward_code: Annotated[str, Form(max_length=300)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    test_type: Annotated[str, Form(max_length=10)] = "pcr",
    sampled_at: Annotated[str, Form(max_length=30)] = "",
    onset_at: Annotated[str, Form(max_length=30)] = "",
    isolated_at: Annotated[str, Form(max_length=30)] = "",
    isolation_place: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Register a case; details that match known people show them to choose from first."""
    user = access.manage_cases(principal, session, None)
    form = {
        "person_id": person_id,
        "full_name": full_name,
        "phone": phone,
        "id_number": id_number,
        "birth_year": birth_year,
        "ward_code": ward_code,
        "address": address,
        "test_type": test_type,
        "sampled_at": sampled_at,
        "onset_at": onset_at,
        "isolated_at": isolated_at,
        "isolation_place": isolation_place,
    }
    try:
        ward_code = place_service.resolve(session, text=ward_code, field="ward_code") or ""
        sampled = fields.parse_form_datetime(sampled_at, "sampled_at", required=True)
        onset = fields.parse_form_datetime(onset_at, "onset_at")
        isolated = fields.parse_form_datetime(isolated_at, "isolated_at")
        try:
            kind = TestType(test_type)
        except ValueError:
            raise InvalidInput(
                N_("Choose one of the allowed values."),
                fields={"test_type": N_("Choose one of the allowed values.")},
            ) from None
        chosen = person_id.strip()
        ident = None
        if chosen and chosen != "new":
            try:
                ident = uuid.UUID(chosen)
            except ValueError:
                raise InvalidInput(
                    N_("This person does not exist."),
                    fields={"person_id": N_("This person does not exist.")},
                ) from None
        year, problem, params = (
            (None, None, {}) if ident else fields.parse_form_birth_year(birth_year)
        )
        if problem is not None:
            raise fields.form_error("birth_year", problem, params)
        person = resolve.subject(
            principal,
            session,
            Action.CASES_MANAGE,
            person_id=ident,
            details=resolve.Details(
                full_name=full_name,
                ward_code=ward_code,
                phone=phone,
                id_number=id_number,
                birth_year=year,
                address=address,
            ),
            new_person=chosen == "new",
        )
        scope = access.for_person(
            principal, session, Action.CASES_MANAGE, person, named_ward=ward_code or None
        )
        if sampled is None:  # fields.parse_form_datetime(required=True) never returns None
            raise InvalidInput(N_("Enter a date and time."))
        case = case_service.create_case(
            session,
            person=person,
            ward_code=scope.ward_code,
            test_type=kind,
            sampled_at=sampled,
            onset_at=onset,
            isolated_at=isolated,
            isolation_place=isolation_place,
            created_by=user.user_id,
        )
    except PersonMatch as match:
        session.rollback()
        errors = {"form": i18n.gettext(match.message)}
        return _form_page(request, form, errors, status=409, candidates=match.candidates)
    except (InvalidInput, DomainError) as exc:
        if exc.status_code == 403:
            raise
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        return _form_page(request, form, errors, status=exc.status_code)
    audit.record(session, actor=user, action="create", subject_type="case", subject_id=case.id)
    flash(request, i18n.gettext("The case was registered. Run the trace to find F1 and F2."))
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _case_context(session: DbSession, user: Any, case: Case, ward: str | None) -> dict[str, Any]:
    identities = access.sees_identities(user, session, case.ward_code)
    counts = tracing_service.counts(session, case=case)
    contacts = tracing_service.contacts(session, case=case, ward_code=ward) if identities else []
    person = (
        case_service.get_person_or_404(session, person_id=case.person_id) if identities else None
    )
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="case_contacts" if identities else "case_contact_counts",
        subject_id=case.id,
        purpose="contact tracing",
        detail={"ward": ward},
    )
    if identities:  # the case's person and every contact are named on the page
        audit.record_person_read(
            session,
            actor=user,
            person_ids=[case.person_id, *(c.person_id for c in contacts if c.person_id)],
            purpose="case page",
        )
    trace = tracing_service.last_trace(session, case_id=case.id)
    f0_presences = (
        tracing_service.presences_in_window(session, case=case, trace=trace) if trace else None
    )
    wards = tracing_service.names_of_wards(
        session, [case.ward_code, *counts.by_ward, *(c.home_ward for c in contacts if c.home_ward)]
    )
    return {
        "case": case,
        "person": person,
        "identities": identities,
        "counts": counts,
        "f1": [c for c in contacts if c.level == 1],
        "f2": [c for c in contacts if c.level == 2],
        "trace": trace,
        "no_checkins": f0_presences == 0,
        "no_checkins_text": tracing_service.NO_CHECKINS,
        "can_trace": user.can(Action.CASES_MANAGE),
        "wards": wards,
        "ward": ward or "",
    }


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    ward: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    case = case_service.get_or_404(session, case_id=case_id)
    ward = place_service.resolve(session, text=ward, field="ward") or ""
    user = access.read_counts(principal, session, case.ward_code)
    ensure_csrf(request)
    return render(request, "cases/detail.html", _case_context(session, user, case, ward or None))


@router.post("/cases/{case_id}/trace")
def case_trace(
    case_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response:
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.manage_cases(principal, session, case.ward_code)
    outcome = tracing_service.run_trace(
        session,
        case=case,
        now=utcnow(),
        ran_by=user.user_id,
        privacy_mode=settings.privacy_mode,
    )
    flash(
        request,
        i18n.gettext(
            "Trace finished: %(f1)s F1 and %(f2)s F2.", f1=outcome.f1_count, f2=outcome.f2_count
        ),
    )
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.post("/cases/{case_id}/trace/confirm")
def case_trace_confirm(
    case_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.manage_cases(principal, session, case.ward_code)
    _trace, outcome = tracing_flows.confirm_trace(session, case=case, actor=user, now=utcnow())
    flash(
        request,
        i18n.gettext(
            "Trace confirmed: %(queued)s alerts queued, %(unreachable)s contacts cannot be "
            "reached by message (call them).",
            queued=outcome.queued,
            unreachable=outcome.unreachable,
        ),
    )
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.get("/cases/{case_id}/graph", response_class=HTMLResponse)
def case_graph(
    case_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.read_identities(principal, session, case.ward_code)
    contacts = tracing_service.contacts(session, case=case)
    person = case_service.get_person_or_404(session, person_id=case.person_id)
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="case_contacts",
        subject_id=case.id,
        purpose="transmission graph",
    )
    return render(
        request,
        "cases/graph.html",
        {
            "case": case,
            "person": person,
            **graph_layout(
                person.full_name,
                f"p:{case.person_id}",
                contacts,
                case_keys=_case_keys(session, contacts),
            ),
        },
    )


def _case_keys(session: DbSession, contacts: list[tracing_service.ContactRow]) -> set[str]:
    person_ids = [c.person_id for c in contacts if c.person_id]
    if not person_ids:
        return set()
    return {
        f"p:{p}"
        for p in session.scalars(select(Case.person_id).where(Case.person_id.in_(person_ids)))
    }


def graph_layout(
    root_name: str,
    root_key: str,
    contacts: list[tracing_service.ContactRow],
    *,
    case_keys: set[str],
) -> dict[str, Any]:
    """Nodes on rings (F0 centre, F1 inner, F2 outer ring near their F1) and labelled edges."""
    size = 720
    centre = size / 2
    nodes: dict[str, dict[str, Any]] = {
        root_key: {"x": centre, "y": centre, "name": root_name, "status": "case", "level": 0}
    }
    f1 = [c for c in contacts if c.level == 1]
    f2 = [c for c in contacts if c.level == 2]
    angle: dict[str, float] = {}
    for i, c in enumerate(f1):
        a = 2 * math.pi * i / max(len(f1), 1)
        angle[c.contact_key] = a
        nodes[c.contact_key] = {
            "x": round(centre + 160 * math.cos(a), 1),
            "y": round(centre + 160 * math.sin(a), 1),
            "name": c.full_name,
            "status": "case" if c.contact_key in case_keys else "f1",
            "level": 1,
        }
    spread: dict[str, int] = {}
    for c in f2:
        base = angle.get(c.source_key, 0.0)
        k = spread.get(c.source_key, 0)
        spread[c.source_key] = k + 1
        a = base + (k - 2) * 0.12 + (0.06 if k % 2 else 0)
        nodes[c.contact_key] = {
            "x": round(centre + (280 + 18 * (k % 3)) * math.cos(a), 1),
            "y": round(centre + (280 + 18 * (k % 3)) * math.sin(a), 1),
            "name": c.full_name,
            "status": "case" if c.contact_key in case_keys else "f2",
            "level": 2,
        }
    edges = []
    for c in contacts:
        src = nodes.get(c.source_key)
        dst = nodes[c.contact_key]
        if src is None:
            continue
        edges.append(
            {
                "x1": src["x"],
                "y1": src["y"],
                "x2": dst["x"],
                "y2": dst["y"],
                "mx": round((src["x"] + dst["x"]) / 2, 1),
                "my": round((src["y"] + dst["y"]) / 2, 1),
                "venue": c.venue_name,
                "at": c.exposed_at,
                "minutes": c.overlap_minutes,
                "level": c.level,
            }
        )
    return {"nodes": list(nodes.values()), "edges": edges, "size": size}


# -- quarantine -------------------------------------------------------------------------------


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    ward: Annotated[str, Query(max_length=300)] = "",
    show: str = "all",
) -> HTMLResponse:
    ward = place_service.resolve(session, text=ward, field="ward") or ""
    user = access.manage_quarantine(principal, session, ward or None)
    ensure_csrf(request)
    now = utcnow()
    orders = case_service.active_orders(
        session,
        area_paths=user.area_paths(Action.QUARANTINE_MANAGE),
        now=now,
        ward_code=ward or None,
    )
    missing = {o.id for o in case_service.not_reported_today(session, orders=orders, now=now)}
    due = {o.id for o in case_service.tests_due(orders, now=now)}
    if show == "missing":
        orders = [o for o in orders if o.id in missing]
    elif show == "tests_due":
        orders = [o for o in orders if o.id in due]
    people = {
        o.person_id: case_service.get_person_or_404(session, person_id=o.person_id) for o in orders
    }
    breaches = case_service.breach_rows(
        session, area_paths=user.area_paths(Action.QUARANTINE_MANAGE)
    )
    ward_names = place_service.names_of(session, codes=[b.breach.ward_code for b in breaches])
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="quarantine_order",
        subject_id="*",
        detail={"ward": ward, "show": show},
    )
    audit.record_person_read(
        session, actor=user, person_ids=list(people), purpose="quarantine list"
    )
    return render(
        request,
        "cases/quarantine.html",
        {
            "orders": orders,
            "people": people,
            "missing": missing,
            "due": due,
            "ward": ward or "",
            "show": show,
            "breaches": breaches,
            "ward_names": ward_names,
            "outcomes": [o.value for o in case_service.VISIT_OUTCOMES],
        },
    )


@router.post("/quarantine/{order_id}/visit")
def quarantine_visit(
    order_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    outcome: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    order = case_service.get_order_or_404(session, order_id=order_id)
    user = access.manage_quarantine(principal, session, order.ward_code)
    try:
        chosen = FollowUpOutcome(outcome)
    except ValueError:
        raise InvalidInput(N_("Choose one of the allowed values.")) from None
    case_flows.report_health(
        session, order=order, source="visit", outcome=chosen, at=utcnow(), recorded_by=user.user_id
    )
    flash(request, i18n.gettext("The visit was recorded."))
    return RedirectResponse("/quarantine", status_code=303)


@router.post("/quarantine/new")
def quarantine_new(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    person_id: Annotated[str, Form(max_length=40)] = "",
    manual_visitor_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2)] = "f1",
    kind: Annotated[str, Form(max_length=10)] = "home",
    facility_name: Annotated[str, Form(max_length=300)] = "",
    ward_code: Annotated[str, Form(max_length=300)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=200)] = "/quarantine",
) -> Response:
    access.manage_quarantine(principal, session, None)
    form = {
        "manual_visitor_id": manual_visitor_id,
        "reason": reason,
        "kind": kind,
        "facility_name": facility_name,
        "ward_code": ward_code,
        "next": next_url,
    }
    ward_code = place_service.resolve(session, text=ward_code, field="ward_code") or ""
    try:
        chosen = QuarantineKind(kind)
        if manual_visitor_id:
            # a visitor entered by hand at a door: their person record is found (the officer
            # confirms a match) or made now
            person = people_flows.person_for_visitor(
                principal,
                session,
                Action.QUARANTINE_MANAGE,
                visitor_id=uuid.UUID(manual_visitor_id),
                ward_code=ward_code,
                chosen=uuid.UUID(person_id) if person_id not in ("", "new") else None,
                new_person=person_id == "new",
            )
        else:
            person = case_service.get_person_or_404(session, person_id=uuid.UUID(person_id))
    except ValueError:
        raise InvalidInput(N_("Choose one of the allowed values.")) from None
    except PersonMatch as match:
        session.rollback()
        return render(
            request,
            "cases/visitor_match.html",
            {"form": form, "candidates": match.candidates, "matched_on": MATCHED_ON},
            status_code=409,
        )
    scope = access.for_person(
        principal, session, Action.QUARANTINE_MANAGE, person, named_ward=ward_code or None
    )
    case_flows.order_quarantine(
        session,
        actor=scope.principal,
        person=person,
        reason=reason,
        kind=chosen,
        ward_code=scope.ward_code,
        starts_at=utcnow(),
        facility_name=facility_name,
    )
    flash(request, i18n.gettext("The quarantine order was issued."))
    return RedirectResponse(safe_next(next_url, "/quarantine"), status_code=303)


@router.get("/me/quarantine", response_class=HTMLResponse)
def my_quarantine(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    user = access.citizen_self(principal)
    ensure_csrf(request)
    now = utcnow()
    order = (
        case_service.active_order_of(session, person_id=user.person_id, now=now)
        if user.person_id
        else None
    )
    reports = case_service.follow_ups_of(session, order_id=order.id) if order else []
    return render(
        request,
        "cases/me.html",
        {"order": order, "reports": reports, "status_names": STATUS_NAMES},
    )


@router.post("/me/quarantine")
def my_quarantine_report(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    symptoms: Annotated[str, Form(max_length=500)] = "",
    temperature: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    user = access.citizen_self(principal)
    now = utcnow()
    order = (
        case_service.active_order_of(session, person_id=user.person_id, now=now)
        if user.person_id
        else None
    )
    if order is None:
        raise InvalidInput(N_("You have no quarantine order running today."))
    try:
        temp = float(temperature.replace(",", ".")) if temperature.strip() else None
    except ValueError:
        raise InvalidInput(N_("Enter a body temperature between 30 and 45 °C.")) from None
    outcome = (
        FollowUpOutcome.REPORTED_SYMPTOMS
        if symptoms.strip() or (temp or 0) >= 37.5
        else FollowUpOutcome.REPORTED_WELL
    )
    case_flows.report_health(
        session,
        order=order,
        source="self",
        outcome=outcome,
        at=now,
        temperature=temp,
        symptoms=symptoms,
    )
    flash(request, i18n.gettext("Thank you, today's report was sent."))
    return RedirectResponse("/me/quarantine", status_code=303)
