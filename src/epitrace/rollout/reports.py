"""The reporting chain: report forms, a unit's periodic report and its review up the
hierarchy, the reporting rate of an area and the reminders to lagging units.

States (docs/rollout.md, "Reporting chain"): draft → submitted → returned (with a comment) →
resubmitted → approved (locked). A unit's report is approved only when every report of the
units that report to it for the same form and period is approved (as in DHIS2).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from epitrace import localtime
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.db import path_within, utcnow
from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import indicators
from epitrace.rollout.models import (
    IndicatorUnit,
    Report,
    ReportEvent,
    ReportForm,
    ReportStatus,
)
from epitrace.rollout.periods import Period, PeriodType
from epitrace.rollout.periods import containing as containing_period
from epitrace.rollout.periods import parse as parse_period
from epitrace.security.roles import ROLE_ACTIONS, Action, Role

# -- tiers of the hierarchy ----------------------------------------------------------------

PROVINCE = "province"
DISTRICT = "district"
WARD = "ward"
TIERS = (PROVINCE, DISTRICT, WARD)
TIER_NAMES = {
    PROVINCE: N_("Province"),
    DISTRICT: N_("Districts"),
    WARD: N_("Wards and communes"),
}
EVENT_NAMES = {
    "save": N_("saved"),
    "submit": N_("submitted"),
    "return": N_("returned"),
    "resubmit": N_("resubmitted"),
    "approve": N_("approved"),
}
MAX_DUE_DAYS = 60
MAX_TEXT = 4000

SUBMITTED_STATES = (ReportStatus.SUBMITTED, ReportStatus.RESUBMITTED)
STATUS_NAMES = {
    "missing": N_("Not started"),
    ReportStatus.DRAFT.value: N_("Draft"),
    ReportStatus.SUBMITTED.value: N_("Submitted"),
    ReportStatus.RETURNED.value: N_("Returned"),
    ReportStatus.RESUBMITTED.value: N_("Resubmitted"),
    ReportStatus.APPROVED.value: N_("Approved"),
}


@dataclass(frozen=True)
class Unit:
    """An administrative unit as the reporting chain sees it."""

    code: str
    name: str
    path: str
    parent_code: str | None
    tier: str

    @property
    def ancestors(self) -> list[str]:
        """Codes from the root down to the parent (from the materialised path)."""
        return self.path.rstrip(".").split(".")[:-1]


def _units(session: Session, *, area_path: str) -> list[Unit]:
    """Every unit at or below an area, with its tier (root, middle, leaf), in one query."""
    child = aliased(AdminUnit)
    has_children = exists().where(child.parent_code == AdminUnit.code)
    stmt = (
        select(AdminUnit.code, AdminUnit.name, AdminUnit.path, AdminUnit.parent_code, has_children)
        .where(path_within(AdminUnit.path, area_path))
        .order_by(AdminUnit.path)
    )
    units = []
    for code, name, path, parent, branches in session.execute(stmt):
        tier = PROVINCE if parent is None else (DISTRICT if branches else WARD)
        units.append(Unit(code, name, path, parent, tier))
    return units


def units_in(session: Session, *, area_path: str) -> list[Unit]:
    """Every unit at or below an area, with its tier, by path."""
    return _units(session, area_path=area_path)


def get_unit(session: Session, *, code: str) -> Unit:
    place = place_service.get(session, code=code)
    if place is None:
        raise NotFound(N_("Administrative unit %(code)s does not exist."), params={"code": code})
    units = _units(session, area_path=place.path)
    return units[0]


# -- forms --------------------------------------------------------------------------------


def _clean_levels(values: Sequence[str]) -> str:
    chosen = {v.strip() for v in values if v and v.strip()}
    unknown = chosen - set(TIERS)
    if unknown or not chosen:
        raise InvalidInput(
            N_("Choose which units submit: province, district or ward."),
            fields={"levels": N_("Choose at least one tier of units.")},
        )
    return ",".join(t for t in TIERS if t in chosen)


def create_form(
    session: Session,
    *,
    name: str,
    area_code: str,
    period_type: PeriodType,
    due_days: int,
    levels: Sequence[str],
    created_by: uuid.UUID | None,
) -> ReportForm:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            N_("Give the report a name of at most 200 characters."),
            fields={"name": N_("Required, at most 200 characters.")},
        )
    if not 0 <= due_days <= MAX_DUE_DAYS:
        raise InvalidInput(
            N_("The report is due between 0 and %(max)s days after the period."),
            params={"max": MAX_DUE_DAYS},
            fields={"due_days": N_("A number of days from 0 to 60.")},
        )
    form = ReportForm(
        name=name,
        area_code=area_code,
        period_type=period_type,
        due_days=due_days,
        levels=_clean_levels(levels),
        created_by=created_by,
    )
    session.add(form)
    session.flush()
    return form


def get_form(session: Session, *, form_id: uuid.UUID) -> ReportForm:
    form = session.get(ReportForm, form_id)
    if form is None or not form.active:
        raise NotFound(N_("This report form does not exist."))
    return form


def get_forms(session: Session, *, area_paths: Sequence[str | None]) -> list[ReportForm]:
    """Active forms whose area overlaps one of the areas (a form of the province is seen by
    its wards' officials, and a nationwide account sees every form)."""
    if not area_paths:
        return []
    forms = list(
        session.scalars(
            select(ReportForm).where(ReportForm.active.is_(True)).order_by(ReportForm.created_at)
        )
    )
    paths = place_service.path_of
    seen = []
    for form in forms:
        form_path = paths(session, code=form.area_code) or ""
        for path in area_paths:
            if path is None or form_path.startswith(path) or path.startswith(form_path):
                seen.append(form)
                break
    return seen


def levels_of(form: ReportForm) -> list[str]:
    return [t for t in form.levels.split(",") if t]


def expected_units(
    session: Session, form: ReportForm, *, area_path: str, units: list[Unit] | None = None
) -> list[Unit]:
    """The units inside an area (itself included) that must submit this form."""
    form_path = place_service.path_of(session, code=form.area_code) or ""
    wanted = set(levels_of(form))
    if units is None:
        units = _units(session, area_path=area_path)
    return [u for u in units if u.tier in wanted and u.path.startswith(form_path)]


def expected_children(session: Session, form: ReportForm, unit: Unit) -> list[Unit]:
    """The units that report to `unit` on this form: expected units below it with no other
    expected unit in between."""
    below = [u for u in expected_units(session, form, area_path=unit.path) if u.code != unit.code]
    codes = {u.code for u in below} | {unit.code}
    children = []
    for u in below:
        nearest = next((c for c in reversed(u.ancestors) if c in codes), None)
        if nearest == unit.code:
            children.append(u)
    return children


def check_unit(session: Session, form: ReportForm, unit: Unit) -> None:
    """The unit must be one that submits this form (inside its area, at one of its tiers)."""
    form_path = place_service.path_of(session, code=form.area_code) or ""
    if not unit.path.startswith(form_path) or unit.tier not in levels_of(form):
        raise InvalidInput(
            N_("%(unit)s does not submit the report %(form)s."),
            params={"unit": unit.name, "form": form.name},
            fields={"unit_code": N_("A unit that submits this report.")},
        )


def period_of(form: ReportForm, key: str, *, today: date | None = None) -> Period:
    """The period a key names; a period that has not started yet cannot be reported on."""
    period = parse_period(form.period_type, key)
    if not period.has_started(today or localtime.today()):
        raise InvalidInput(
            N_("The period %(period)s has not started yet."),
            params={"period": period.key},
            fields={"period": N_("A period that has started.")},
        )
    return period


# -- figures ------------------------------------------------------------------------------


def figures_for(session: Session, *, unit_code: str, period: Period) -> dict[str, Any]:
    """The unit's indicators for the period, from the stored daily snapshots: the state at
    the last computed day (citizens, venues, rosters) and the sums over the period
    (declarations, check-ins)."""
    rows = indicators.read(
        session, unit=IndicatorUnit.AREA, area_code=unit_code, first=period.start, last=period.end
    )
    if not rows:
        return {"days": 0}
    last = rows[-1]
    target = indicators.signup_target(last)
    return {
        "days": len(rows),
        "last_day": last.day.isoformat(),
        "population": last.population,
        "signup_target": target,
        "citizens": last.citizens,
        "citizens_pct": indicators.percent_of(last.citizens, target),
        "declarations": sum(r.declarations or 0 for r in rows),
        "checkins": sum(r.checkins for r in rows),
        "venues": last.venues,
        "venues_with_poster": last.venues_with_poster,
        "venues_active": last.venues_active,
        "venues_active_pct": indicators.percent_of(last.venues_active, last.venues),
        "venues_door_control": last.venues_door_control,
        "roster_members": last.roster_members,
        "roster_signed_up": last.roster_signed_up,
        "roster_signed_up_pct": indicators.percent_of(last.roster_signed_up, last.roster_members),
    }


# -- one report ---------------------------------------------------------------------------


def get_report(
    session: Session, *, form: ReportForm, unit_code: str, period: Period, lock: bool = False
) -> Report | None:
    stmt = select(Report).where(
        Report.form_id == form.id,
        Report.unit_code == unit_code,
        Report.period_start == period.start,
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def events_of(session: Session, *, report_id: uuid.UUID) -> list[ReportEvent]:
    stmt = select(ReportEvent).where(ReportEvent.report_id == report_id)
    return list(session.scalars(stmt.order_by(ReportEvent.created_at)))


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    label: str


def _event(session: Session, report: Report, kind: str, actor: Actor, comment: str = "") -> None:
    session.add(
        ReportEvent(
            report_id=report.id,
            kind=kind,
            actor_id=actor.user_id,
            actor_label=actor.label[:200],
            comment=comment,
        )
    )


def _text(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            N_("At most %(max)s characters."),
            params={"max": MAX_TEXT},
            fields={name: N_("At most 4000 characters.")},
        )
    return text


def _locked(report: Report) -> Conflict:
    if report.status is ReportStatus.APPROVED:
        return Conflict(
            N_("This report has been approved and is locked; it can no longer be changed."),
            code="report_locked",
        )
    return Conflict(
        N_("This report is waiting for review; it can be changed again if it is returned."),
        code="report_under_review",
    )


def _create(session: Session, *, form: ReportForm, unit: Unit, period: Period) -> Report:
    """A new draft; when another request created it first, theirs (locked) instead."""
    report = Report(
        form_id=form.id,
        unit_code=unit.code,
        period_start=period.start,
        period_end=period.end,
        status=ReportStatus.DRAFT,
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:
        existing = get_report(session, form=form, unit_code=unit.code, period=period, lock=True)
        if existing is None:  # pragma: no cover - the unique key names the same row
            raise
        return existing
    return report


def save(
    session: Session,
    *,
    form: ReportForm,
    unit: Unit,
    period: Period,
    results: str | None,
    difficulties: str | None,
    proposals: str | None,
    actor: Actor,
) -> Report:
    """Keep the narrative of a report being written (a draft, or a returned report)."""
    check_unit(session, form, unit)
    texts = {
        "results": _text(results, "results"),
        "difficulties": _text(difficulties, "difficulties"),
        "proposals": _text(proposals, "proposals"),
    }
    report = get_report(session, form=form, unit_code=unit.code, period=period, lock=True)
    if report is None:
        report = _create(session, form=form, unit=unit, period=period)
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise _locked(report)
    for name, value in texts.items():
        setattr(report, name, value)
    report.figures = figures_for(session, unit_code=unit.code, period=period)
    session.flush()
    _event(session, report, "save", actor)
    return report


def submit(
    session: Session,
    *,
    form: ReportForm,
    unit: Unit,
    period: Period,
    actor: Actor,
    results: str | None = None,
    difficulties: str | None = None,
    proposals: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Send the report up for review (its narrative, if given, is saved first)."""
    current = _current(session, form, unit, period)
    report = save(
        session,
        form=form,
        unit=unit,
        period=period,
        results=current[0] if results is None else results,
        difficulties=current[1] if difficulties is None else difficulties,
        proposals=current[2] if proposals is None else proposals,
        actor=actor,
    )
    moment = now or utcnow()
    resubmit = report.status is ReportStatus.RETURNED
    report.status = ReportStatus.RESUBMITTED if resubmit else ReportStatus.SUBMITTED
    report.submitted_at = moment
    if report.first_submitted_at is None:
        report.first_submitted_at = moment
    _event(session, report, "resubmit" if resubmit else "submit", actor)
    session.flush()
    return report


def _current(session: Session, form: ReportForm, unit: Unit, period: Period) -> tuple[str, ...]:
    report = get_report(session, form=form, unit_code=unit.code, period=period)
    if report is None:
        return ("", "", "")
    return (report.results, report.difficulties, report.proposals)


def _under_review(session: Session, form: ReportForm, unit: Unit, period: Period) -> Report:
    report = get_report(session, form=form, unit_code=unit.code, period=period, lock=True)
    if report is None or report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise Conflict(
            N_("This report has not been submitted; there is nothing to review."),
            code="report_not_submitted",
        )
    if report.status is ReportStatus.APPROVED:
        raise _locked(report)
    return report


def return_report(
    session: Session,
    *,
    form: ReportForm,
    unit: Unit,
    period: Period,
    comment: str,
    actor: Actor,
    now: datetime | None = None,
) -> Report:
    """Send a submitted report back to its unit with what to correct."""
    text = _text(comment, "comment")
    if not text:
        raise InvalidInput(
            N_("Say what the unit should correct."),
            fields={"comment": N_("Required when returning a report.")},
        )
    report = _under_review(session, form, unit, period)
    report.status = ReportStatus.RETURNED
    report.review_comment = text
    report.reviewed_at = now or utcnow()
    _event(session, report, "return", actor, text)
    session.flush()
    return report


def pending_children(
    session: Session, *, form: ReportForm, unit: Unit, period: Period
) -> list[Unit]:
    """The units reporting to `unit` whose report for the period is not approved."""
    children = expected_children(session, form, unit)
    if not children:
        return []
    approved = set(
        session.scalars(
            select(Report.unit_code).where(
                Report.form_id == form.id,
                Report.period_start == period.start,
                Report.unit_code.in_([c.code for c in children]),
                Report.status == ReportStatus.APPROVED,
            )
        )
    )
    return [c for c in children if c.code not in approved]


def approve(
    session: Session,
    *,
    form: ReportForm,
    unit: Unit,
    period: Period,
    actor: Actor,
    comment: str = "",
    now: datetime | None = None,
) -> Report:
    """Approve and lock a submitted report, once every report below it is approved."""
    text = _text(comment, "comment")
    report = _under_review(session, form, unit, period)
    pending = pending_children(session, form=form, unit=unit, period=period)
    if pending:
        names = ", ".join(u.name for u in pending[:5])
        raise Conflict(
            N_(
                "The reports of %(count)s units below have not been approved yet "
                "(%(names)s); approve them first."
            ),
            params={"count": len(pending), "names": names},
            code="children_not_approved",
        )
    moment = now or utcnow()
    report.status = ReportStatus.APPROVED
    report.review_comment = text
    report.reviewed_at = moment
    report.approved_at = moment
    _event(session, report, "approve", actor, text)
    session.flush()
    return report


# -- reporting rate -----------------------------------------------------------------------


@dataclass
class RateRow:
    code: str
    name: str
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    approved: int = 0

    @property
    def submitted_pct(self) -> float | None:
        return indicators.percent_of(self.submitted, self.expected)

    @property
    def approved_pct(self) -> float | None:
        return indicators.percent_of(self.approved, self.expected)


@dataclass
class Lagging:
    code: str
    name: str
    tier: str
    status: str  # "missing" or a report status
    overdue: bool


@dataclass
class Rate:
    form: ReportForm
    period: Period
    deadline: datetime
    area: Unit
    total: RateRow
    rows: list[RateRow] = field(default_factory=list)
    lagging: list[Lagging] = field(default_factory=list)


def rate(
    session: Session, *, form: ReportForm, area: Unit, period: Period, now: datetime | None = None
) -> Rate:
    """Per child unit of `area`: expected, submitted, on time and approved reports of the
    units below it (and of itself), and the units still to submit (none, draft, returned)."""
    moment = now or utcnow()
    deadline = period.deadline(form.due_days)
    everything = _units(session, area_path=area.path)
    expected = expected_units(session, form, area_path=area.path, units=everything)
    # columns, not objects (a province has thousands of reports), inside the area by a
    # subquery on the materialised paths rather than a long IN list
    reports = {
        code: (status, first)
        for code, status, first in session.execute(
            select(Report.unit_code, Report.status, Report.first_submitted_at).where(
                Report.form_id == form.id,
                Report.period_start == period.start,
                Report.unit_code.in_(place_service.descendant_codes(area.path)),
            )
        )
    }
    total = RateRow(code=area.code, name=area.name)
    result = Rate(form=form, period=period, deadline=deadline, area=area, total=total)
    names = {u.code: u.name for u in everything}
    rows: dict[str, RateRow] = {}
    depth = len(area.ancestors) + 1
    for unit in expected:
        line = unit.path.rstrip(".").split(".")
        group = line[depth] if len(line) > depth else area.code
        row = rows.setdefault(group, RateRow(code=group, name=names.get(group, group)))
        status, first = reports.get(unit.code, (None, None))
        for target in (row, total):
            target.expected += 1
            if first is not None:
                target.submitted += 1
                if first <= deadline:
                    target.on_time += 1
            if status is ReportStatus.APPROVED:
                target.approved += 1
        if status is None or status in (ReportStatus.DRAFT, ReportStatus.RETURNED):
            shown = "missing" if status is None else status.value
            result.lagging.append(
                Lagging(unit.code, unit.name, unit.tier, shown, overdue=moment > deadline)
            )
    result.rows = sorted(rows.values(), key=lambda r: (r.code != area.code, r.name))
    return result


# -- following up -------------------------------------------------------------------------

REMINDER_TEMPLATE = "report_reminder"
WRITER_ROLES = tuple(sorted(ROLE_ACTIONS[Action.REPORTS_WRITE], key=lambda r: r.value))


@dataclass
class Reminded:
    units: int = 0
    recipients: int = 0
    duplicates: int = 0  # already reminded today
    without_staff: list[str] = field(default_factory=list)  # unit codes nobody could receive


def remind(
    session: Session,
    *,
    form: ReportForm,
    area: Unit,
    period: Period,
    now: datetime | None = None,
) -> Reminded:
    """One in-app reminder to the staff of every lagging unit (at most one a unit a day)."""
    moment = now or utcnow()
    lagging = rate(session, form=form, area=area, period=period, now=moment).lagging
    deadline = localtime.to_local(period.deadline(form.due_days))
    result = Reminded()
    for unit in lagging:
        recipients = alert_service.staff_of(
            session, area_code=unit.code, roles=[Role(r) for r in WRITER_ROLES]
        )
        if not recipients:
            result.without_staff.append(unit.code)
            continue
        result.units += 1
        key = f"report:{form.id.hex}:{period.key}:{unit.code}:{localtime.today(moment)}"
        sent = alert_service.enqueue(
            session,
            recipients=recipients,
            template=REMINDER_TEMPLATE,
            dedup_key=key,
            params={
                "form": form.name,
                "unit": unit.name,
                "period": period.key,
                "due": deadline.strftime("%d/%m/%Y"),
                "link": f"/rollout/reports/{form.id}/{unit.code}/{period.key}",
            },
            channels=(Channel.INBOX,),
            now=moment,
        )
        result.recipients += sent.created
        result.duplicates += sent.duplicates
    return result


# -- for other views (dashboard, formal report) ---------------------------------------------


def forms_over(session: Session, *, area_code: str) -> list[ReportForm]:
    """Active forms whose units include the area: defined for it or for a unit above it."""
    above = [a.code for a in place_service.get_ancestors(session, code=area_code)]
    stmt = (
        select(ReportForm)
        .where(ReportForm.area_code.in_([area_code, *above]), ReportForm.active.is_(True))
        .order_by(ReportForm.name)
    )
    return list(session.scalars(stmt))


def rates_at(session: Session, *, area_code: str, day: date) -> list[Rate]:
    """The reporting rate of the area on every form over it, for the period containing `day`."""
    area = get_unit(session, code=area_code)
    return [
        rate(session, form=form, area=area, period=containing_period(form.period_type, day))
        for form in forms_over(session, area_code=area_code)
    ]
