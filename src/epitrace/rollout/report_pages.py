"""Staff pages of the reporting chain: forms, a unit's report and its review, the reporting
rate of an area with its XLSX export, and the reminder to lagging units.

The routes are registered on the domain's page router.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.errors import N_, Conflict, DomainError, InvalidInput
from epitrace.rollout import access
from epitrace.rollout import organisations as organisation_service
from epitrace.rollout import reports as report_service
from epitrace.rollout.models import ReportForm
from epitrace.rollout.pages import router
from epitrace.rollout.periods import PERIOD_TYPE_NAMES, Period, PeriodType, containing, last_ended
from epitrace.rollout.report_routes import (
    actor_of,
    check_readable,
    edit_form,
    rate_out,
    read_rate,
    report_out,
    reporting_unit_or_422,
    unit_or_422,
)
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action, Role
from epitrace.venues import service as venue_service
from epitrace.web import exports, i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.templating import render

BASE = "/rollout/reports"

FIGURE_LABELS = (
    ("population", N_("Population")),
    ("signup_target", N_("Sign-up target (smartphone users)")),
    ("citizens", N_("Citizens signed up")),
    ("citizens_pct", N_("Signed up, % of the target")),
    ("declarations", N_("Health declarations in the period")),
    ("checkins", N_("Check-ins in the period")),
    ("venues", N_("Venues registered")),
    ("venues_with_poster", N_("Venues with a QR poster")),
    ("venues_active", N_("Active venues (a check-in in the last 24 h)")),
    ("venues_door_control", N_("Venues controlling their door")),
    ("roster_members", N_("People on staff rosters")),
    ("roster_signed_up", N_("Roster members signed up")),
)


def _labels() -> dict[str, Any]:
    return {
        "statuses": {k: i18n.gettext(v) for k, v in report_service.STATUS_NAMES.items()},
        "tiers": {k: i18n.gettext(v) for k, v in report_service.TIER_NAMES.items()},
        "period_types": {k.value: i18n.gettext(v) for k, v in PERIOD_TYPE_NAMES.items()},
        "event_names": {k: i18n.gettext(v) for k, v in report_service.EVENT_NAMES.items()},
        "kind_names": {
            k.value: i18n.gettext(v) for k, v in venue_service.ORGANISATION_KIND_NAMES.items()
        },
    }


def _url(form_id: uuid.UUID, unit_code: str, period: str) -> str:
    return f"{BASE}/{form_id}/{unit_code}/{period}"


# -- the hub ------------------------------------------------------------------------------


def _candidates(session: Session, user: Principal, form: ReportForm) -> list[report_service.Unit]:
    """The units whose report the user may write: the areas of their officials' grants, the
    organisations they keep, the sectors they direct."""
    units: list[report_service.Unit] = []
    for grant in user.grants_for(Action.REPORTS_WRITE):
        if grant.area_code is None:
            continue
        if grant.role in report_service.AREA_WRITERS:
            units.append(report_service.get_unit(session, code=grant.area_code))
    roles = {g.role for g in user.grants_for(Action.REPORTS_WRITE)}
    if Role.ORG_ADMIN in roles:
        units += [
            report_service.get_unit(session, code=report_service.organisation_key(o.id))
            for o in organisation_service.organisations_of_admin(session, user_id=user.user_id)
        ]
    if Role.SECTOR_DIRECTOR in roles:
        units += [
            report_service.get_unit(session, code=report_service.sector_key(s), form=form)
            for s in sorted(access.sectors_of(session, user_id=user.user_id))
            if s in report_service.REPORTING_SECTORS
        ]
    return units


def _my_reports(session: Session, user: Principal, form: ReportForm) -> list[dict[str, Any]]:
    """The units whose report the user writes, for the current and the last ended period."""
    today = localtime.today()
    periods = [
        last_ended(form.period_type, today),
        containing(form.period_type, today),
    ]
    items = []
    seen = set()
    for unit in _candidates(session, user, form):
        if unit.code in seen:
            continue
        seen.add(unit.code)
        try:
            report_service.check_unit(session, form, unit)
        except InvalidInput:
            continue
        if not _allowed(access.report_write_unit, session, user, unit):
            continue
        for period in periods:
            report = report_service.get_report(
                session, form=form, unit_code=unit.code, period=period
            )
            items.append(
                {
                    "href": _url(form.id, unit.code, period.key),
                    "unit": unit.name,
                    "period": period.key,
                    "status": report.status.value if report else "missing",
                }
            )
    return items


def _to_review(session: Session, user: Principal, form: ReportForm) -> list[dict[str, Any]]:
    """Submitted reports of the form that the user reviews (at most 50, oldest first)."""
    if not user.can(Action.REPORTS_REVIEW):
        return []
    items = []
    for report in report_service.awaiting_review(session, form=form, limit=200):
        try:
            unit = report_service.get_unit(session, code=report.unit_key, form=form)
        except DomainError:
            continue
        if not _allowed(access.report_review, session, user, unit):
            continue
        period = report_service.period_of(form, _period_key(form, report))
        items.append(
            {
                "href": _url(form.id, unit.code, period.key),
                "unit": unit.name,
                "period": period.key,
                "status": report.status.value,
            }
        )
        if len(items) >= 50:
            break
    return items


def _period_key(form: ReportForm, report: Any) -> str:
    return containing(form.period_type, report.period_start).key


def _hub(
    session: Session, user: Principal, *, form_values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    can_define = user.can(Action.REPORTS_FORMS)
    forms = report_service.get_forms(
        session, area_paths=user.area_paths(Action.REPORTS_READ), include_inactive=can_define
    )
    home = access.home_area(user, Action.REPORTS_READ)
    reads_areas = any(
        g.role in report_service.AREA_WRITERS for g in user.grants_for(Action.REPORTS_READ)
    )
    return {
        "forms": [
            {
                "form": f,
                "levels": report_service.levels_of(f),
                "kinds": report_service.kinds_of(f),
                "mine": _my_reports(session, user, f) if f.active else [],
                "to_review": _to_review(session, user, f) if f.active else [],
                "rate_href": f"{BASE}/{f.id}/rate" + (f"?area={home}" if home else "")
                if reads_areas and f.active
                else "",
                "editable": can_define
                and _allowed(access.report_forms, session, user, f.area_code),
            }
            for f in forms
        ],
        "can_define": can_define,
        "areas": [g.area_code for g in user.grants_for(Action.REPORTS_FORMS) if g.area_code],
        "form": form_values,
        "errors": errors,
        **_labels(),
    }


@router.get(BASE, response_class=HTMLResponse)
def reports_home(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.REPORTS_READ)
    ensure_csrf(request)
    context = _hub(session, user, form_values={}, errors={})
    return render(request, "rollout/reports.html", context)


@router.post(BASE + "/forms", response_class=HTMLResponse)
def reports_create_form(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    area_code: Annotated[str, Form(max_length=16)] = "",
    period_type: Annotated[str, Form(max_length=20)] = "weekly",
    due_days: Annotated[str, Form(max_length=4)] = "1",
    levels: Annotated[list[str] | None, Form()] = None,
    organisation_kinds: Annotated[list[str] | None, Form()] = None,
) -> Response:
    values = {
        "name": name,
        "area_code": area_code,
        "period_type": period_type,
        "due_days": due_days,
    }
    user = require(principal, Action.REPORTS_FORMS)
    try:
        unit_or_422(session, area_code.strip())
        user = access.report_forms(session, principal, area_code.strip())
        try:
            kind = PeriodType(period_type)
            days = int(due_days)
        except ValueError:
            raise InvalidInput(
                N_("Choose a period type and a number of days."),
                fields={"due_days": N_("A number of days from 0 to 60.")},
            ) from None
        form = report_service.create_form(
            session,
            name=name,
            area_code=area_code.strip(),
            period_type=kind,
            due_days=days,
            levels=levels or [],
            organisation_kinds=organisation_kinds or [],
            created_by=user.user_id,
        )
    except InvalidInput as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _hub(session, user, form_values=values, errors=errors)
        return render(request, "rollout/reports.html", context, status_code=422)
    audit.record(
        session, actor=user, action="create", subject_type="report_form", subject_id=form.id
    )
    flash(request, i18n.gettext("The report form was created."))
    return RedirectResponse(BASE, status_code=303)


@router.post(BASE + "/forms/{form_id}", response_class=HTMLResponse)
def reports_edit_form(
    form_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    due_days: Annotated[str, Form(max_length=4)] = "1",
    levels: Annotated[list[str] | None, Form()] = None,
    organisation_kinds: Annotated[list[str] | None, Form()] = None,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Change a form (DIC, province): name, due days, submitting units, active."""
    user = require(principal, Action.REPORTS_FORMS)
    form = report_service.get_form(session, form_id=form_id, include_inactive=True)
    try:
        try:
            days = int(due_days)
        except ValueError:
            raise InvalidInput(
                N_("Choose a period type and a number of days."),
                fields={"due_days": N_("A number of days from 0 to 60.")},
            ) from None
        edit_form(
            session,
            principal,
            form,
            name=name,
            due_days=days,
            levels=levels or [],
            organisation_kinds=organisation_kinds or [],
            active=bool(active),
        )
    except InvalidInput as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _hub(session, user, form_values={}, errors=errors)
        return render(request, "rollout/reports.html", context, status_code=422)
    flash(request, i18n.gettext("The report form was changed."))
    return RedirectResponse(BASE, status_code=303)


# -- one report ---------------------------------------------------------------------------


def _report_context(
    session: Session,
    user: Principal,
    form: ReportForm,
    unit: report_service.Unit,
    period: Period,
) -> dict[str, Any]:
    view = report_out(session, form, unit, period)
    writable = view.status in ("missing", "draft", "returned")
    reviewable = view.status in ("submitted", "resubmitted")
    return {
        "report_form": form,
        "unit": unit,
        "period": period,
        "view": view,
        "figures": [(i18n.gettext(label), view.figures.get(name)) for name, label in FIGURE_LABELS],
        "can_write": writable and _allowed(access.report_write_unit, session, user, unit),
        "can_review": reviewable and _allowed(access.report_review, session, user, unit),
        "error": "",
        **_labels(),
    }


def _allowed(check: Any, session: Session, user: Principal, *args: Any) -> bool:
    try:
        check(session, user, *args)
    except DomainError:
        return False
    return True


def _load(
    session: Session, form_id: uuid.UUID, unit_code: str, period: str
) -> tuple[ReportForm, report_service.Unit, Period]:
    form = report_service.get_form(session, form_id=form_id)
    unit = reporting_unit_or_422(session, form, unit_code)
    return form, unit, report_service.period_of(form, period)


@router.get(BASE + "/{form_id}/{unit_code}/{period}", response_class=HTMLResponse)
def report_page(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    form, unit, when = _load(session, form_id, unit_code, period)
    user = access.report_read_unit(session, principal, unit)
    check_readable(session, form, unit, when)
    ensure_csrf(request)
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="report",
        subject_id=f"{form.id}/{unit.code}/{when.key}",
    )
    return render(request, "rollout/report.html", _report_context(session, user, form, unit, when))


def _failed(
    request: Request,
    session: Session,
    user: Principal,
    exc: DomainError,
    loaded: tuple[ReportForm, report_service.Unit, Period],
    typed: dict[str, str] | None = None,
) -> Response:
    session.rollback()
    context = _report_context(session, user, *loaded)
    context["error"] = i18n.gettext(exc.message, **exc.params)
    if typed:
        context["view"] = context["view"].model_copy(update=typed)
    return render(request, "rollout/report.html", context, status_code=exc.status_code)


@router.post(BASE + "/{form_id}/{unit_code}/{period}", response_class=HTMLResponse)
def report_write(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    results: Annotated[str, Form(max_length=4000)] = "",
    difficulties: Annotated[str, Form(max_length=4000)] = "",
    proposals: Annotated[str, Form(max_length=4000)] = "",
    do: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    loaded = _load(session, form_id, unit_code, period)
    form, unit, when = loaded
    user = access.report_write_unit(session, principal, unit)
    typed: dict[str, Any] = {
        "results": results,
        "difficulties": difficulties,
        "proposals": proposals,
    }
    try:
        if do == "submit":
            report_service.submit(
                session, form=form, unit=unit, period=when, actor=actor_of(user), **typed
            )
            message = i18n.gettext("The report was submitted to the level above.")
        else:
            report_service.save(
                session, form=form, unit=unit, period=when, actor=actor_of(user), **typed
            )
            message = i18n.gettext("The draft was saved.")
    except (InvalidInput, Conflict) as exc:
        return _failed(request, session, user, exc, loaded, typed)
    audit.record(
        session,
        actor=user,
        action="submit" if do == "submit" else "save",
        subject_type="report",
        subject_id=f"{form.id}/{unit.code}/{when.key}",
    )
    flash(request, message)
    return RedirectResponse(_url(form.id, unit.code, when.key), status_code=303)


@router.post(BASE + "/{form_id}/{unit_code}/{period}/review", response_class=HTMLResponse)
def report_review(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    decision: Annotated[str, Form(max_length=10)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    loaded = _load(session, form_id, unit_code, period)
    form, unit, when = loaded
    user = access.report_review(session, principal, unit)
    kw: dict[str, Any] = {"form": form, "unit": unit, "period": when, "actor": actor_of(user)}
    try:
        if decision == "approve":
            report_service.approve(session, comment=comment, **kw)
            message = i18n.gettext("The report was approved.")
        elif decision == "return":
            report_service.return_report(session, comment=comment, **kw)
            message = i18n.gettext("The report was returned to the unit.")
        else:
            raise InvalidInput(N_("Choose to approve or to return the report."))
    except (InvalidInput, Conflict) as exc:
        return _failed(request, session, user, exc, loaded)
    audit.record(
        session,
        actor=user,
        action=decision,
        subject_type="report",
        subject_id=f"{form.id}/{unit.code}/{when.key}",
    )
    flash(request, message)
    return RedirectResponse(_url(form.id, unit.code, when.key), status_code=303)


# -- reporting rate -----------------------------------------------------------------------


def _rate(
    session: Session,
    principal: Principal | None,
    form_id: uuid.UUID,
    area: str | None,
    period: str | None,
) -> tuple[Principal, report_service.Rate]:
    form = report_service.get_form(session, form_id=form_id)
    user = require(principal, Action.REPORTS_READ)
    code = area or access.home_area(user, Action.REPORTS_READ) or form.area_code
    return read_rate(session, principal, form, unit_or_422(session, code), period)


@router.get(BASE + "/{form_id}/rate", response_class=HTMLResponse)
def rate_page(
    form_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    area: Annotated[str | None, Query(max_length=16)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    user, result = _rate(session, principal, form_id, area, period)
    ensure_csrf(request)
    view = rate_out(result)
    context = {
        "report_form": result.form,
        "rate": view,
        "area": result.area,
        "can_remind": bool(view.lagging)
        and _allowed(access.report_remind, session, user, result.area.code),
        "previous": result.period.previous().key,
        "report_href": {
            u.code: _url(result.form.id, u.code, result.period.key) for u in result.lagging
        },
        **_labels(),
    }
    return render(request, "rollout/report_rate.html", context)


@router.get(BASE + "/{form_id}/rate.{fmt}", responses=exports.RESPONSES)
def rate_export(
    form_id: uuid.UUID,
    fmt: exports.Format,
    session: DbSession,
    principal: CurrentPrincipal,
    area: Annotated[str | None, Query(max_length=16)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    _user, result = _rate(session, principal, form_id, area, period)
    labels = _labels()
    rows = exports.Sheet(
        title=i18n.gettext("Reporting rate"),
        headers=[
            i18n.gettext("Code"),
            i18n.gettext("Unit"),
            i18n.gettext("Expected"),
            i18n.gettext("Submitted"),
            i18n.gettext("On time"),
            i18n.gettext("Approved"),
        ],
        rows=[
            [r.code, r.name, r.expected, r.submitted, r.on_time, r.approved]
            for r in [*result.rows, result.total]
        ],
    )
    lagging = exports.Sheet(
        title=i18n.gettext("Lagging units"),
        headers=[i18n.gettext("Code"), i18n.gettext("Unit"), i18n.gettext("Status")],
        rows=[[u.code, u.name, labels["statuses"][u.status]] for u in result.lagging],
    )
    return exports.respond(
        fmt,
        [rows, lagging],
        name_parts=["ty-le-bao-cao", result.area.code, result.period.key],
        day=result.period.end,
    )


@router.post(BASE + "/{form_id}/remind/{area_code}/{period}", response_class=HTMLResponse)
def rate_remind(
    form_id: uuid.UUID,
    area_code: str,
    period: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    form = report_service.get_form(session, form_id=form_id)
    unit = unit_or_422(session, area_code)
    user = access.report_remind(session, principal, unit.code)
    when = report_service.period_of(form, period)
    result = report_service.remind(session, form=form, area=unit, period=when)
    audit.record(
        session,
        actor=user,
        action="remind",
        subject_type="report_form",
        subject_id=form.id,
        detail={"area": unit.code, "period": when.key, "units": result.units},
    )
    flash(
        request,
        i18n.gettext(
            "Reminders sent to %(units)s lagging units (%(recipients)s staff accounts).",
            units=result.units,
            recipients=result.recipients,
        ),
    )
    return RedirectResponse(
        f"{BASE}/{form.id}/rate?area={unit.code}&period={when.key}", status_code=303
    )
