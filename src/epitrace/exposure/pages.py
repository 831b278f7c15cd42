"""Pages: verification codes for health officers, exposure figures, the citizen's warning."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from epitrace import localtime
from epitrace.accounts import access as account_access
from epitrace.errors import N_, DomainError, InvalidInput
from epitrace.exposure import access
from epitrace.exposure import service as exposure_service
from epitrace.exposure.service import REPORT_TYPES
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.web import fields, i18n
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

REPORT_TYPE_LABELS = {
    "confirmed_test": N_("Confirmed by a test"),
    "clinical_diagnosis": N_("Clinical diagnosis"),
}


def _parse_date(value: str, field: str) -> date | None:
    parsed, problem, params = fields.parse_form_date(value)
    if problem is not None:
        raise fields.form_error(field, problem, params)
    return parsed


def _codes_context(session: DbSession, principal: CurrentPrincipal) -> dict[str, object]:
    user = access.can_list_codes(principal)
    grants = user.grants_for(Action.EXPOSURE_CODES)
    areas = []
    for code in dict.fromkeys(g.area_code for g in grants if g.area_code):
        unit = place_service.get(session, code=code)
        areas.append((code, unit.name if unit is not None else code))
    return {
        "areas": areas,
        "codes": exposure_service.get_codes(session, area_paths=[g.area_path for g in grants]),
        "report_types": [(k, i18n.gettext(v)) for k, v in REPORT_TYPE_LABELS.items()],
        "report_names": {REPORT_TYPES[k]: i18n.gettext(v) for k, v in REPORT_TYPE_LABELS.items()},
        "today": localtime.today().isoformat(),
        "errors": {},
        "issued": None,
        "form": {},
    }


@router.get("/exposure/codes", response_class=HTMLResponse)
def codes_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    context = _codes_context(session, principal)
    return render(request, "exposure/codes.html", context)


@router.post("/exposure/codes", response_class=HTMLResponse)
def codes_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    area_code: Annotated[str, Form(max_length=16)] = "",
    case_id: Annotated[str, Form(max_length=40)] = "",
    report_type: Annotated[str, Form(max_length=30)] = "confirmed_test",
    test_date: Annotated[str, Form(max_length=10)] = "",
    onset_date: Annotated[str, Form(max_length=10)] = "",
    valid_minutes: Annotated[str, Form(max_length=5)] = "60",
) -> HTMLResponse:
    context = _codes_context(session, principal)
    form = {
        "area_code": area_code,
        "case_id": case_id,
        "report_type": report_type,
        "test_date": test_date,
        "onset_date": onset_date,
        "valid_minutes": valid_minutes,
    }
    context["form"] = form
    try:
        case_uuid = None
        if case_id.strip():
            try:
                case_uuid = uuid.UUID(case_id.strip())
            except ValueError:
                raise InvalidInput(
                    N_("This is not a valid identifier."),
                    fields={"case_id": N_("This is not a valid identifier.")},
                ) from None
        area, tested, onset = area_code, _parse_date(test_date, "test_date"), None
        onset = _parse_date(onset_date, "onset_date")
        if case_uuid is not None:
            dates = exposure_service.case_dates(session, case_id=case_uuid)
            area, tested, onset = dates.area_code, dates.test_date, dates.onset_date
        if tested is None:
            raise InvalidInput(
                N_("Give the date of the positive test."),
                fields={"test_date": N_("This field is required.")},
            )
        if report_type not in REPORT_TYPES:
            raise InvalidInput(
                N_("Choose one of the allowed values."),
                fields={"report_type": N_("Choose one of the allowed values.")},
            )
        # any whole number here; the service names the allowed range beside the field
        minutes, problem, params = fields.parse_form_int(valid_minutes, minimum=0, maximum=99_999)
        if problem is not None:
            raise fields.form_error("valid_minutes", problem, params)
        user = access.can_issue_codes(session, principal, area_code=area)
        row, code = exposure_service.issue_code(
            session,
            issuer=user,
            area_code=area,
            report_type=REPORT_TYPES[report_type],
            test_date=tested,
            onset_date=onset,
            case_id=case_uuid,
            valid_minutes=minutes or 0,
        )
        audit.record(
            session,
            actor=user,
            action="exposure.code.issue",
            subject_type="exposure_verification_code",
            subject_id=row.id,
            purpose="exposure notification",
        )
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context["errors"] = errors
        return render(request, "exposure/codes.html", context, status_code=exc.status_code)
    context["issued"] = {"code": f"{code[:4]}-{code[4:]}", "row": row}
    context["codes"] = exposure_service.get_codes(
        session,
        area_paths=[g.area_path for g in user.grants_for(Action.EXPOSURE_CODES)],
    )
    return render(request, "exposure/codes.html", context, status_code=201)


@router.get("/exposure/counts", response_class=HTMLResponse)
def counts_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None = None,
    days: fields.Days = 14,
) -> HTMLResponse:
    _, area_code = access.can_see_counts(session, principal, area_code=area)
    days = max(1, min(days, 90))
    since = localtime.today() - timedelta(days=days)
    unit = place_service.get(session, code=area_code) if area_code else None
    path = unit.path if unit is not None else None
    figures = exposure_service.counts(session, area_path=path, since=since)
    return render(
        request,
        "exposure/counts.html",
        {"figures": figures, "unit": unit, "since": since, "days": days, "area": area_code},
    )


@router.get("/me/exposure", response_class=HTMLResponse)
def my_exposure(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    person_id = account_access.citizen_person_id(principal)
    reports = exposure_service.get_reports_for_person(session, person_id=person_id)
    today = localtime.today()
    recent = [r for r in reports if r.exposure_date >= today - timedelta(days=14)]
    watch_until = max((r.exposure_date for r in recent), default=None)
    return render(
        request,
        "exposure/me.html",
        {
            "reports": reports,
            "recent": recent,
            "watch_until": watch_until + timedelta(days=14) if watch_until else None,
        },
    )
