"""JSON routes of the reporting chain: report forms, a unit's report and its review, the
reporting rate of an area and the reminders to lagging units (docs/rollout.md).

The routes are registered on the domain's API router.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Query
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.db import utcnow
from epitrace.errors import N_, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.rollout import access
from epitrace.rollout import reports as report_service
from epitrace.rollout.api import router
from epitrace.rollout.models import ReportForm
from epitrace.rollout.periods import Period, last_ended
from epitrace.rollout.schemas import (
    LaggingOut,
    RateOut,
    RateRowOut,
    RemindOut,
    ReportEventOut,
    ReportFormIn,
    ReportFormOut,
    ReportFormPatch,
    ReportIn,
    ReportOut,
    ReviewIn,
)
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.web.deps import CurrentPrincipal, DbSession

FORMS = "/report-forms"
ONE = FORMS + "/{form_id}/reports/{unit_code}/{period}"


def form_out(form: ReportForm) -> ReportFormOut:
    return ReportFormOut(
        id=form.id,
        name=form.name,
        area_code=form.area_code,
        period_type=form.period_type,
        due_days=form.due_days,
        levels=report_service.levels_of(form),
        organisation_kinds=report_service.kinds_of(form),
        active=form.active,
        created_at=form.created_at,
    )


def actor_of(user: Principal) -> report_service.Actor:
    return report_service.Actor(user.user_id, user.display_name)


def unit_or_422(session: Session, code: str) -> report_service.Unit:
    """An administrative unit (an area of a form, of a reporting rate, of reminders)."""
    if place_service.get(session, code=code) is None:
        raise InvalidInput(
            N_("The unit %(code)s does not exist."),
            params={"code": code[:16]},
            fields={"unit_code": N_("Choose a unit from the list of administrative units.")},
        )
    return report_service.get_unit(session, code=code)


def reporting_unit_or_422(session: Session, form: ReportForm, code: str) -> report_service.Unit:
    """The unit a report is about: an administrative unit, `org-<id>` or `sector-<sector>`."""
    if code.startswith((report_service.ORG_PREFIX, report_service.SECTOR_PREFIX)):
        try:
            return report_service.get_unit(session, code=code, form=form)
        except NotFound:
            raise InvalidInput(
                N_("The unit %(code)s does not exist."),
                params={"code": code[:60]},
                fields={"unit_code": N_("Choose a unit that submits this report.")},
            ) from None
    return unit_or_422(session, code)


def report_out(
    session: Session, form: ReportForm, unit: report_service.Unit, period: Period
) -> ReportOut:
    """The stored report, or the pre-filled one a unit starts from."""
    report = report_service.get_report(session, form=form, unit_code=unit.code, period=period)
    deadline = period.deadline(form.due_days)
    pending = report_service.pending_children(session, form=form, unit=unit, period=period)
    common = {
        "form_id": form.id,
        "form_name": form.name,
        "unit_code": unit.code,
        "unit_type": unit.kind.value,
        "unit_name": unit.name,
        "period": period.key,
        "period_start": period.start,
        "period_end": period.end,
        "deadline": deadline,
        "pending_children": [u.code for u in pending],
    }
    if report is None:
        return ReportOut(
            **common,
            status="missing",
            figures=report_service.figures_for(session, unit=unit, period=period),
            results="",
            difficulties="",
            proposals="",
            review_comment="",
            first_submitted_at=None,
            submitted_at=None,
            approved_at=None,
            on_time=None,
            events=[],
        )
    figures = report.figures
    if figures is None:
        figures = report_service.figures_for(session, unit=unit, period=period)
    first = report.first_submitted_at
    return ReportOut(
        **common,
        status=report.status.value,
        figures=figures,
        results=report.results,
        difficulties=report.difficulties,
        proposals=report.proposals,
        review_comment=report.review_comment,
        first_submitted_at=first,
        submitted_at=report.submitted_at,
        approved_at=report.approved_at,
        on_time=None if first is None else first <= deadline,
        events=[
            ReportEventOut(kind=e.kind, actor=e.actor_label, comment=e.comment, at=e.created_at)
            for e in report_service.events_of(session, report_id=report.id)
        ],
    )


def rate_out(result: report_service.Rate) -> RateOut:
    def row(r: report_service.RateRow) -> RateRowOut:
        return RateRowOut(
            code=r.code,
            name=r.name,
            expected=r.expected,
            submitted=r.submitted,
            on_time=r.on_time,
            approved=r.approved,
            submitted_pct=r.submitted_pct,
            approved_pct=r.approved_pct,
        )

    return RateOut(
        form_id=result.form.id,
        area_code=result.area.code,
        area_name=result.area.name,
        period=result.period.key,
        period_start=result.period.start,
        period_end=result.period.end,
        deadline=result.deadline,
        total=row(result.total),
        rows=[row(r) for r in result.rows],
        lagging=[
            LaggingOut(code=u.code, name=u.name, tier=u.tier, status=u.status, overdue=u.overdue)
            for u in result.lagging
        ],
    )


def period_or_default(form: ReportForm, period: str | None) -> Period:
    if period is None:
        return last_ended(form.period_type, localtime.today())
    return report_service.period_of(form, period)


# -- forms --------------------------------------------------------------------------------


@router.get(FORMS, response_model=list[ReportFormOut])
def list_report_forms(session: DbSession, principal: CurrentPrincipal) -> list[ReportFormOut]:
    """The report forms of the caller's area."""
    user = require(principal, Action.REPORTS_READ)
    forms = report_service.get_forms(session, area_paths=user.area_paths(Action.REPORTS_READ))
    return [form_out(f) for f in forms]


@router.post(FORMS, response_model=ReportFormOut, status_code=201)
def create_report_form(
    body: ReportFormIn, session: DbSession, principal: CurrentPrincipal
) -> ReportFormOut:
    """Define a periodic report that the units of an area submit (DIC, province)."""
    unit_or_422(session, body.area_code)
    user = access.report_forms(session, principal, body.area_code)
    form = report_service.create_form(
        session,
        name=body.name,
        area_code=body.area_code,
        period_type=body.period_type,
        due_days=body.due_days,
        levels=body.levels,
        organisation_kinds=[k.value for k in body.organisation_kinds],
        created_by=user.user_id,
    )
    audit.record(
        session, actor=user, action="create", subject_type="report_form", subject_id=form.id
    )
    return form_out(form)


def edit_form(
    session: Session,
    principal: Principal | None,
    form: ReportForm,
    *,
    name: str | None = None,
    due_days: int | None = None,
    levels: Sequence[str] | None = None,
    organisation_kinds: Sequence[str] | None = None,
    active: bool | None = None,
) -> Principal:
    """Change a form for the DIC and the province (on the form's stored area), audited with
    what changed."""
    user = access.report_forms(session, principal, form.area_code)
    changed = report_service.update_form(
        session,
        form=form,
        name=name,
        due_days=due_days,
        levels=levels,
        organisation_kinds=organisation_kinds,
        active=active,
    )
    audit.record(
        session,
        actor=user,
        action="update",
        subject_type="report_form",
        subject_id=form.id,
        detail={"changes": changed},
    )
    return user


@router.patch(FORMS + "/{form_id}", response_model=ReportFormOut)
def update_report_form(
    form_id: uuid.UUID, body: ReportFormPatch, session: DbSession, principal: CurrentPrincipal
) -> ReportFormOut:
    """Change a form's name, due days, submitting units or whether it is active (the reports
    already written stay)."""
    require(principal, Action.REPORTS_FORMS)
    form = report_service.get_form(session, form_id=form_id, include_inactive=True)
    kinds = body.organisation_kinds
    edit_form(
        session,
        principal,
        form,
        name=body.name,
        due_days=body.due_days,
        levels=body.levels,
        organisation_kinds=None if kinds is None else [k.value for k in kinds],
        active=body.active,
    )
    return form_out(form)


# -- one report ---------------------------------------------------------------------------


def _load(
    session: Session, form_id: uuid.UUID, unit_code: str, period: str
) -> tuple[ReportForm, report_service.Unit, Period]:
    form = report_service.get_form(session, form_id=form_id)
    unit = reporting_unit_or_422(session, form, unit_code)
    return form, unit, report_service.period_of(form, period)


def check_readable(
    session: Session, form: ReportForm, unit: report_service.Unit, period: Period
) -> None:
    """A unit's report is read when the unit submits the form, or when it wrote one before
    the form stopped asking it (its history stays)."""
    if report_service.get_report(session, form=form, unit_code=unit.code, period=period):
        return
    report_service.check_unit(session, form, unit)


def _audit(
    session: Session, user: Principal, action: str, form: ReportForm, unit: str, period: Period
) -> None:
    audit.record(
        session,
        actor=user,
        action=action,
        subject_type="report",
        subject_id=f"{form.id}/{unit}/{period.key}",
    )


@router.get(ONE, response_model=ReportOut)
def get_report(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReportOut:
    """A unit's report for a period, pre-filled with its indicators when not yet written."""
    form, unit, when = _load(session, form_id, unit_code, period)
    user = access.report_read_unit(session, principal, unit)
    check_readable(session, form, unit, when)
    _audit(session, user, "read", form, unit.code, when)
    return report_out(session, form, unit, when)


@router.put(ONE, response_model=ReportOut)
def save_report(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    body: ReportIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReportOut:
    """Keep the narrative of a draft or returned report (the unit's own officials)."""
    form, unit, when = _load(session, form_id, unit_code, period)
    user = access.report_write_unit(session, principal, unit)
    report_service.save(
        session, form=form, unit=unit, period=when, actor=actor_of(user), **body.model_dump()
    )
    _audit(session, user, "save", form, unit.code, when)
    return report_out(session, form, unit, when)


@router.post(ONE + "/submit", response_model=ReportOut)
def submit_report(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    body: ReportIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReportOut:
    """Submit (or resubmit, after a return) the report to the level above."""
    form, unit, when = _load(session, form_id, unit_code, period)
    user = access.report_write_unit(session, principal, unit)
    report_service.submit(
        session, form=form, unit=unit, period=when, actor=actor_of(user), **body.model_dump()
    )
    _audit(session, user, "submit", form, unit.code, when)
    return report_out(session, form, unit, when)


@router.post(ONE + "/return", response_model=ReportOut)
def return_report(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    body: ReviewIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReportOut:
    """Send a submitted report back to its unit with a comment (the level above)."""
    form, unit, when = _load(session, form_id, unit_code, period)
    user = access.report_review(session, principal, unit)
    report_service.return_report(
        session, form=form, unit=unit, period=when, comment=body.comment, actor=actor_of(user)
    )
    _audit(session, user, "return", form, unit.code, when)
    return report_out(session, form, unit, when)


@router.post(ONE + "/approve", response_model=ReportOut)
def approve_report(
    form_id: uuid.UUID,
    unit_code: str,
    period: str,
    body: ReviewIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReportOut:
    """Approve and lock a submitted report, once the reports below it are approved."""
    form, unit, when = _load(session, form_id, unit_code, period)
    user = access.report_review(session, principal, unit)
    report_service.approve(
        session, form=form, unit=unit, period=when, comment=body.comment, actor=actor_of(user)
    )
    _audit(session, user, "approve", form, unit.code, when)
    return report_out(session, form, unit, when)


# -- reporting rate and follow-up ---------------------------------------------------------


@router.get(FORMS + "/{form_id}/rate", response_model=RateOut)
def get_rate(
    form_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    area: Annotated[str, Query(min_length=1, max_length=16, description="An administrative unit.")],
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> RateOut:
    """Per unit below an area: expected, submitted, on time and approved reports; the
    lagging units (default period: the last one that has ended)."""
    form = report_service.get_form(session, form_id=form_id)
    _user, result = read_rate(session, principal, form, unit_or_422(session, area), period)
    return rate_out(result)


def read_rate(
    session: Session,
    principal: Principal | None,
    form: ReportForm,
    unit: report_service.Unit,
    period: str | None,
) -> tuple[Principal, report_service.Rate]:
    """The reporting rate of an area for its readers (pages and API), audited as a read."""
    user = access.report_read(session, principal, unit.code)
    when = period_or_default(form, period)
    result = report_service.rate(session, form=form, area=unit, period=when)
    audit.record(
        session,
        actor=user,
        action="read_rate",
        subject_type="report_form",
        subject_id=form.id,
        detail={"area": unit.code, "period": when.key},
    )
    return user, result


@router.post(FORMS + "/{form_id}/remind/{area_code}/{period}", response_model=RemindOut)
def remind_lagging(
    form_id: uuid.UUID,
    area_code: str,
    period: str,
    session: DbSession,
    principal: CurrentPrincipal,
) -> RemindOut:
    """Send an in-app reminder to the staff of every lagging unit of the area (đôn đốc)."""
    form = report_service.get_form(session, form_id=form_id)
    unit = unit_or_422(session, area_code)
    user = access.report_remind(session, principal, unit.code)
    when = report_service.period_of(form, period)
    result = report_service.remind(session, form=form, area=unit, period=when, now=utcnow())
    audit.record(
        session,
        actor=user,
        action="remind",
        subject_type="report_form",
        subject_id=form.id,
        detail={
            "area": unit.code,
            "period": when.key,
            "units": result.units,
            "recipients": result.recipients,
        },
    )
    return RemindOut(
        units=result.units,
        recipients=result.recipients,
        duplicates=result.duplicates,
        without_staff=result.without_staff,
    )
