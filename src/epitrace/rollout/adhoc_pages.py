"""Staff pages of ad-hoc requests (báo cáo đột xuất): send a request, see who has answered
(with the XLSX export and the reminder), and a unit's phone-friendly answer page.

The routes are registered on the domain's page router.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.errors import N_, Conflict, DomainError, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import access, reports
from epitrace.rollout import adhoc as adhoc_service
from epitrace.rollout.models import AdhocRequest
from epitrace.rollout.pages import router
from epitrace.rollout.report_routes import actor_of, unit_or_422
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.web import exports, i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.templating import render

BASE = "/rollout/adhoc"
UNIT_FIELDS = 5  # name fields for chosen units on the form (plus "all districts / wards")


def _url(request_id: uuid.UUID) -> str:
    return f"{BASE}/{request_id}"


# -- the hub and the form -------------------------------------------------------------------


def _hub(
    session: Session, user: Principal, *, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    can_issue = user.can(Action.REPORTS_FORMS)
    issued = (
        adhoc_service.issued_in(session, area_paths=user.area_paths(Action.REPORTS_FORMS))
        if can_issue
        else []
    )
    own = [
        g.area_code
        for g in user.grants_for(Action.REPORTS_WRITE)
        if g.area_code and g.role in reports.AREA_WRITERS
    ]
    asked = adhoc_service.addressed_to(session, unit_codes=own)
    areas = [g.area_code for g in user.grants_for(Action.REPORTS_FORMS) if g.area_code]
    units = list(values.get("units") or [])
    units += [""] * (UNIT_FIELDS - len(units))
    return {
        "issued": issued,
        "asked": [
            {
                "request": r,
                "unit": place_service.name_of(session, code),
                "href": adhoc_service.answer_url(r.id, code),
                "answered": adhoc_service.get_answer(session, request_id=r.id, unit_code=code)
                is not None,
            }
            for r, code in asked
        ],
        "can_issue": can_issue,
        "areas": areas,
        "form": {**values, "units": units[:UNIT_FIELDS]},
        "errors": errors,
        "default_day": (localtime.today() + timedelta(days=3)).isoformat(),
    }


@router.get(BASE, response_class=HTMLResponse)
def adhoc_home(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.REPORTS_READ)
    ensure_csrf(request)
    return render(request, "rollout/adhoc.html", _hub(session, user, values={}, errors={}))


def _deadline(day: str, clock: str) -> datetime:
    try:
        when = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock or "17:00"))
    except ValueError:
        raise InvalidInput(
            N_("Give the deadline as a date and a time."),
            fields={"deadline": N_("A date and time after now.")},
        ) from None
    return adhoc_service.deadline_from(when)


@router.post(BASE, response_class=HTMLResponse)
def adhoc_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    title: Annotated[str, Form(max_length=200)] = "",
    area_code: Annotated[str, Form(max_length=300)] = "",
    questions: Annotated[str, Form(max_length=4000)] = "",
    deadline_date: Annotated[str, Form(max_length=10)] = "",
    deadline_time: Annotated[str, Form(max_length=8)] = "",
    units: Annotated[list[str] | None, Form()] = None,
    all_of: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    user = require(principal, Action.REPORTS_FORMS)
    typed_units = [u[:300] for u in (units or [])[:UNIT_FIELDS]]
    values = {
        "title": title,
        "area_code": area_code,
        "questions": questions,
        "deadline_date": deadline_date,
        "deadline_time": deadline_time,
        "units": typed_units,
        "all_of": all_of,
    }
    try:
        code = place_service.resolve(session, text=area_code, field="area_code", leaves_only=False)
        area = unit_or_422(session, code or "")
        user = access.adhoc_issue(session, principal, area.code)
        codes = []
        for text in typed_units:
            found = place_service.resolve(session, text=text, field="units", leaves_only=False)
            if found:
                codes.append(found)
        created = adhoc_service.create(
            session,
            title=title,
            questions=questions.splitlines(),
            area=area,
            deadline=_deadline(deadline_date, deadline_time),
            unit_codes=codes,
            all_of=all_of or None,
            created_by=user.user_id,
        )
    except InvalidInput as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _hub(session, user, values=values, errors=errors)
        return render(request, "rollout/adhoc.html", context, status_code=422)
    audit.record(
        session, actor=user, action="create", subject_type="adhoc_request", subject_id=created.id
    )
    sent = len(adhoc_service.recipient_codes(session, request_id=created.id))
    flash(request, i18n.gettext("The request was sent to %(count)s units.", count=sent))
    return RedirectResponse(_url(created.id), status_code=303)


# -- the issuer's view ----------------------------------------------------------------------


def _issued(
    session: Session, principal: Principal | None, request_id: uuid.UUID, action: str
) -> tuple[Principal, AdhocRequest]:
    found = adhoc_service.get(session, request_id=request_id)
    user = access.adhoc_issue(session, principal, found.area_code)
    audit.record(
        session, actor=user, action=action, subject_type="adhoc_request", subject_id=found.id
    )
    return user, found


@router.get(BASE + "/{request_id}", response_class=HTMLResponse)
def adhoc_request_page(
    request_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _user, found = _issued(session, principal, request_id, "read")
    ensure_csrf(request)
    view = adhoc_service.overview(session, request=found)
    return render(request, "rollout/adhoc_request.html", {"adhoc": found, "view": view})


@router.get(BASE + "/{request_id}/answers.{fmt}", responses=exports.RESPONSES)
def adhoc_export(
    request_id: uuid.UUID, fmt: exports.Format, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _user, found = _issued(session, principal, request_id, "export")
    view = adhoc_service.overview(session, request=found)
    yes, no = i18n.gettext("Yes"), i18n.gettext("No")
    sheet = exports.Sheet(
        title=i18n.gettext("Answers"),
        headers=[
            i18n.gettext("Code"),
            i18n.gettext("Unit"),
            i18n.gettext("Answered"),
            i18n.gettext("Answered at"),
            i18n.gettext("By"),
            *found.questions,
        ],
        rows=[
            [
                r.code,
                r.name,
                yes if r.answered else no,
                r.answered_at,
                r.answered_by,
                *(r.answers or [""] * len(found.questions)),
            ]
            for r in view.rows
        ],
    )
    return exports.respond(
        fmt,
        [sheet],
        name_parts=["bao-cao-dot-xuat", found.title],
        day=localtime.local_date(found.deadline),
    )


@router.post(BASE + "/{request_id}/remind", response_class=HTMLResponse)
def adhoc_remind(
    request_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _user, found = _issued(session, principal, request_id, "remind")
    try:
        result = adhoc_service.remind(session, request=found)
    except Conflict as exc:
        flash(request, i18n.gettext(exc.message, **exc.params), "error")
        return RedirectResponse(_url(found.id), status_code=303)
    flash(
        request,
        i18n.gettext(
            "Reminders sent to %(units)s units (%(recipients)s staff accounts).",
            units=result.units,
            recipients=result.recipients,
        ),
    )
    return RedirectResponse(_url(found.id), status_code=303)


# -- a unit's answer ------------------------------------------------------------------------


def _answer_context(
    session: Session, found: AdhocRequest, unit_code: str, typed: list[str] | None = None
) -> dict[str, Any]:
    stored = adhoc_service.get_answer(session, request_id=found.id, unit_code=unit_code)
    answers = typed or (list(stored.answers) if stored else [])
    answers += [""] * (len(found.questions) - len(answers))
    return {
        "adhoc": found,
        "unit_name": place_service.name_of(session, unit_code),
        "unit_code": unit_code,
        "items": list(zip(found.questions, answers, strict=False)),
        "stored": stored,
        "closed": adhoc_service.is_closed(found),
        "error": "",
        "max_answer": adhoc_service.MAX_ANSWER,
    }


def _for_unit(
    session: Session, principal: Principal | None, request_id: uuid.UUID, unit_code: str
) -> tuple[Principal, AdhocRequest, str]:
    found = adhoc_service.get(session, request_id=request_id)
    unit = unit_or_422(session, unit_code)
    user = access.adhoc_answer(session, principal, unit.code)
    adhoc_service.check_recipient(session, found, unit.code)
    return user, found, unit.code


@router.get(BASE + "/{request_id}/{unit_code}", response_class=HTMLResponse)
def adhoc_answer_page(
    request_id: uuid.UUID,
    unit_code: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    _user, found, code = _for_unit(session, principal, request_id, unit_code)
    ensure_csrf(request)
    return render(request, "rollout/adhoc_answer.html", _answer_context(session, found, code))


@router.post(BASE + "/{request_id}/{unit_code}", response_class=HTMLResponse)
def adhoc_answer_save(
    request_id: uuid.UUID,
    unit_code: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    answers: Annotated[list[str] | None, Form()] = None,
) -> Response:
    user, found, code = _for_unit(session, principal, request_id, unit_code)
    typed = [a[: adhoc_service.MAX_ANSWER + 1] for a in (answers or [])[:20]]
    try:
        adhoc_service.answer(
            session, request=found, unit_code=code, answers=typed, actor=actor_of(user)
        )
    except (InvalidInput, Conflict) as exc:
        return _failed(request, session, found, code, typed, exc)
    audit.record(
        session,
        actor=user,
        action="answer",
        subject_type="adhoc_request",
        subject_id=f"{found.id}/{code}",
    )
    flash(request, i18n.gettext("Your answer was sent."))
    return RedirectResponse(adhoc_service.answer_url(found.id, code), status_code=303)


def _failed(
    request: Request,
    session: Session,
    found: AdhocRequest,
    code: str,
    typed: list[str],
    exc: DomainError,
) -> Response:
    session.rollback()
    context = _answer_context(session, found, code, typed[: len(found.questions)])
    context["error"] = i18n.gettext(exc.message, **exc.params)
    return render(request, "rollout/adhoc_answer.html", context, status_code=exc.status_code)
