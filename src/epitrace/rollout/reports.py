"""The reporting chain: report forms, a unit's periodic report and its review up the
hierarchy, the reporting rate of an area and the reminders to lagging units.

States (docs/rollout.md, "Reporting chain"): draft → submitted → returned (with a comment) →
resubmitted → approved (locked). A unit's report is approved only when every report of the
units that report to it for the same form and period is approved (as in DHIS2).

Units are administrative units (by tier), organisations (reviewed by their supervising
sector's directors, or by their ward's officials when the people's committee supervises them)
and sectors (reviewed by the province and the DIC). An organisation's report is a child of
its sector's report; a people's-committee organisation's report is a child of the nearest
administrative unit above it that reports; a sector's report is a child of the form area's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from epitrace import localtime
from epitrace.accounts.models import RoleGrant, UserAccount
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.db import path_within, utcnow
from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import indicators
from epitrace.rollout.models import (
    IndicatorUnit,
    OrganisationAdmin,
    Report,
    ReportEvent,
    ReportForm,
    ReportStatus,
    SectorDirector,
)
from epitrace.rollout.periods import Period, PeriodType
from epitrace.rollout.periods import containing as containing_period
from epitrace.rollout.periods import parse as parse_period
from epitrace.security.roles import Role
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, OrganisationKind, Sector
from epitrace.web import i18n

# -- tiers of the hierarchy ----------------------------------------------------------------

PROVINCE = "province"
DISTRICT = "district"
WARD = "ward"
TIERS = (PROVINCE, DISTRICT, WARD)
# the accountable units that may be asked to report besides the tiers
SECTOR = "sector"
ORGANISATION = "organisation"
LEVELS = (*TIERS, SECTOR, ORGANISATION)
TIER_NAMES = {
    PROVINCE: N_("Province"),
    DISTRICT: N_("Districts"),
    WARD: N_("Wards and communes"),
    SECTOR: N_("Sectors (province-wide)"),
    ORGANISATION: N_("Agencies and enterprises"),
}
ORG_PREFIX = "org-"
SECTOR_PREFIX = "sector-"
# The sectors asked to report: every supervising sector with a provincial department; the
# organisations of the people's committees answer to their wards instead.
REPORTING_SECTORS = tuple(s for s in Sector if s is not Sector.PEOPLE_COMMITTEE)
# Who writes, reviews and is reminded of the report of an administrative unit: its officials
# (the organisation admins and sector directors report on their own units only).
AREA_WRITERS = frozenset(
    {Role.WARD_OFFICIAL, Role.DISTRICT_OFFICIAL, Role.PROVINCE_OFFICIAL, Role.DIC_OFFICER}
)
AREA_REVIEWERS = frozenset({Role.DISTRICT_OFFICIAL, Role.PROVINCE_OFFICIAL, Role.DIC_OFFICER})
SECTOR_REVIEWERS = frozenset({Role.PROVINCE_OFFICIAL, Role.DIC_OFFICER})
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
    """A unit as the reporting chain sees it: an administrative unit, an organisation or a
    sector. `code` is its key (the unit code, `org-<id>` or `sector-<sector>`); `path` and
    `place` are those of the administrative unit it stands in (itself, the organisation's
    ward, the form's area for a sector)."""

    code: str
    name: str
    path: str
    parent_code: str | None
    tier: str
    place_code: str = ""
    organisation_id: uuid.UUID | None = None
    sector: str = ""
    organisation_kind: str = ""

    @property
    def place(self) -> str:
        return self.place_code or self.code

    @property
    def kind(self) -> IndicatorUnit:
        if self.tier == ORGANISATION:
            return IndicatorUnit.ORGANISATION
        if self.tier == SECTOR:
            return IndicatorUnit.SECTOR
        return IndicatorUnit.AREA

    @property
    def is_area(self) -> bool:
        return self.tier in TIERS

    @property
    def ancestors(self) -> list[str]:
        """Administrative codes from the root down to the one above the unit (for an
        organisation or a sector, down to the unit it stands in)."""
        codes = self.path.rstrip(".").split(".")
        return codes[:-1] if self.is_area else codes


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


def get_unit(session: Session, *, code: str, form: ReportForm | None = None) -> Unit:
    """A unit by its key: an administrative unit's code, `org-<id>`, or `sector-<sector>`
    (a sector's unit needs the form, whose area it spans)."""
    if code.startswith(ORG_PREFIX):
        return _organisation_unit(session, code)
    if code.startswith(SECTOR_PREFIX):
        return _sector_unit(session, code, form)
    place = place_service.get(session, code=code)
    if place is None:
        raise NotFound(
            N_("Administrative unit %(code)s does not exist."), params={"code": code[:16]}
        )
    units = _units(session, area_path=place.path)
    return units[0]


def organisation_key(organisation_id: uuid.UUID) -> str:
    return f"{ORG_PREFIX}{organisation_id.hex}"


def sector_key(sector: Sector | str) -> str:
    return f"{SECTOR_PREFIX}{Sector(sector).value}"


def sector_name(sector: Sector | str) -> str:
    return i18n.gettext(venue_service.SECTOR_NAMES[Sector(sector)])


def _organisation_as_unit(org: Organisation, path: str) -> Unit:
    return Unit(
        code=organisation_key(org.id),
        name=org.name,
        path=path,
        parent_code=org.ward_code,
        tier=ORGANISATION,
        place_code=org.ward_code,
        organisation_id=org.id,
        sector=org.sector.value,
        organisation_kind=org.kind.value,
    )


def _organisation_unit(session: Session, code: str) -> Unit:
    try:
        organisation_id = uuid.UUID(code.removeprefix(ORG_PREFIX))
    except ValueError:
        raise NotFound(N_("This organisation does not exist.")) from None
    org = venue_service.get_organisation(session, organisation_id=organisation_id)
    path = place_service.path_of(session, code=org.ward_code) or ""
    return _organisation_as_unit(org, path)


def _sector_as_unit(sector: Sector, form_area: str, form_path: str) -> Unit:
    return Unit(
        code=sector_key(sector),
        name=sector_name(sector),
        path=form_path,
        parent_code=form_area,
        tier=SECTOR,
        place_code=form_area,
        sector=sector.value,
    )


def _sector_unit(session: Session, code: str, form: ReportForm | None) -> Unit:
    try:
        sector = Sector(code.removeprefix(SECTOR_PREFIX))
    except ValueError:
        raise NotFound(N_("This sector does not exist.")) from None
    if form is None or sector not in REPORTING_SECTORS:
        raise NotFound(N_("This sector does not exist."))
    path = place_service.path_of(session, code=form.area_code) or ""
    return _sector_as_unit(sector, form.area_code, path)


# -- forms --------------------------------------------------------------------------------


def _clean_levels(values: Sequence[str]) -> str:
    chosen = {v.strip() for v in values if v and v.strip()}
    unknown = chosen - set(LEVELS)
    if unknown or not chosen:
        raise InvalidInput(
            N_("Choose which units submit: province, district, ward, sectors or organisations."),
            fields={"levels": N_("Choose at least one kind of unit.")},
        )
    return ",".join(t for t in LEVELS if t in chosen)


def _clean_kinds(values: Sequence[str]) -> str:
    chosen = {v.strip() for v in values if v and v.strip()}
    known = {k.value for k in OrganisationKind}
    if chosen - known:
        raise InvalidInput(
            N_("Choose kinds of organisation from the list."),
            fields={"organisation_kinds": N_("Kinds of organisation from the list.")},
        )
    return ",".join(k.value for k in OrganisationKind if k.value in chosen)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            N_("Give the report a name of at most 200 characters."),
            fields={"name": N_("Required, at most 200 characters.")},
        )
    return name


def _clean_due_days(due_days: int) -> int:
    if not 0 <= due_days <= MAX_DUE_DAYS:
        raise InvalidInput(
            N_("The report is due between 0 and %(max)s days after the period."),
            params={"max": MAX_DUE_DAYS},
            fields={"due_days": N_("A number of days from 0 to 60.")},
        )
    return due_days


def create_form(
    session: Session,
    *,
    name: str,
    area_code: str,
    period_type: PeriodType,
    due_days: int,
    levels: Sequence[str],
    created_by: uuid.UUID | None,
    organisation_kinds: Sequence[str] = (),
) -> ReportForm:
    form = ReportForm(
        name=_clean_name(name),
        area_code=area_code,
        period_type=period_type,
        due_days=_clean_due_days(due_days),
        levels=_clean_levels(levels),
        organisation_kinds=_clean_kinds(organisation_kinds),
        created_by=created_by,
    )
    session.add(form)
    session.flush()
    return form


def update_form(
    session: Session,
    *,
    form: ReportForm,
    name: str | None = None,
    due_days: int | None = None,
    levels: Sequence[str] | None = None,
    organisation_kinds: Sequence[str] | None = None,
    active: bool | None = None,
) -> dict[str, list[Any]]:
    """Change a form; returns what changed as {field: [before, after]} (for the audit log).

    The area and the period type stay (they name the periods already reported on). Reports
    already written stay whatever the new levels: a unit no longer asked keeps its stored
    reports, readable and counted nowhere; a unit newly asked reports from now on.
    """
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = _clean_name(name)
    if due_days is not None:
        wanted["due_days"] = _clean_due_days(due_days)
    if levels is not None:
        wanted["levels"] = _clean_levels(levels)
    if organisation_kinds is not None:
        wanted["organisation_kinds"] = _clean_kinds(organisation_kinds)
    if active is not None:
        wanted["active"] = active
    changes: dict[str, list[Any]] = {}
    for column, value in wanted.items():
        before = getattr(form, column)
        if before != value:
            changes[column] = [before, value]
            setattr(form, column, value)
    session.flush()
    return changes


def get_form(session: Session, *, form_id: uuid.UUID, include_inactive: bool = False) -> ReportForm:
    form = session.get(ReportForm, form_id)
    if form is None or not (form.active or include_inactive):
        raise NotFound(N_("This report form does not exist."))
    return form


def get_forms(
    session: Session, *, area_paths: Sequence[str | None], include_inactive: bool = False
) -> list[ReportForm]:
    """Active forms whose area overlaps one of the areas (a form of the province is seen by
    its wards' officials, and a nationwide account sees every form)."""
    if not area_paths:
        return []
    active = true() if include_inactive else ReportForm.active.is_(True)
    forms = list(session.scalars(select(ReportForm).where(active).order_by(ReportForm.created_at)))
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


def kinds_of(form: ReportForm) -> list[str]:
    """The kinds of organisation the form asks ([] = every kind)."""
    return [k for k in form.organisation_kinds.split(",") if k]


def _organisation_units(session: Session, form: ReportForm, *, area_path: str) -> list[Unit]:
    """The organisations of the kinds the form asks, inside an area, by ward and name."""
    stmt = (
        select(Organisation, AdminUnit.path)
        .join(AdminUnit, AdminUnit.code == Organisation.ward_code)
        .where(path_within(AdminUnit.path, area_path))
        .order_by(AdminUnit.path, Organisation.name, Organisation.id)
    )
    kinds = kinds_of(form)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_([OrganisationKind(k) for k in kinds]))
    return [_organisation_as_unit(org, path) for org, path in session.execute(stmt)]


def _sector_units(form: ReportForm, form_path: str) -> list[Unit]:
    return [_sector_as_unit(s, form.area_code, form_path) for s in REPORTING_SECTORS]


def expected_units(
    session: Session, form: ReportForm, *, area_path: str, units: list[Unit] | None = None
) -> list[Unit]:
    """The units inside an area (itself included) that must submit this form: its
    administrative units at the form's tiers, its organisations, and the form's sectors when
    the area holds the whole form area."""
    form_path = place_service.path_of(session, code=form.area_code) or ""
    wanted = set(levels_of(form))
    if units is None:
        units = _units(session, area_path=area_path)
    expected = [u for u in units if u.tier in wanted and u.path.startswith(form_path)]
    if SECTOR in wanted and form_path.startswith(area_path):
        expected += _sector_units(form, form_path)
    if ORGANISATION in wanted:
        inner = area_path if area_path.startswith(form_path) else form_path
        if inner.startswith(area_path):
            expected += _organisation_units(session, form, area_path=inner)
    return expected


def expected_children(session: Session, form: ReportForm, unit: Unit) -> list[Unit]:
    """The units that report to `unit` on this form (docs/rollout.md, "Reporting chain"):
    - an administrative unit: the expected administrative units below it with no other in
      between, the people's-committee organisations whose nearest reporting unit above is
      this one, and the sectors when it is the form's area;
    - a sector: the organisations it supervises;
    - an organisation: none."""
    if unit.tier == ORGANISATION:
        return []
    form_path = place_service.path_of(session, code=form.area_code) or ""
    if unit.tier == SECTOR:
        if ORGANISATION not in levels_of(form):
            return []
        return [
            u
            for u in _organisation_units(session, form, area_path=form_path)
            if u.sector == unit.sector
        ]
    below = [u for u in expected_units(session, form, area_path=unit.path) if u.code != unit.code]
    codes = {u.code for u in below if u.is_area} | {unit.code}
    children = []
    for u in below:
        if u.tier == SECTOR:
            if unit.code == form.area_code:
                children.append(u)
            continue
        if u.tier == ORGANISATION and u.sector != Sector.PEOPLE_COMMITTEE.value:
            continue  # reviewed in its sector's chain
        nearest = next((c for c in reversed(u.ancestors) if c in codes), None)
        if nearest == unit.code:
            children.append(u)
    return children


def check_unit(session: Session, form: ReportForm, unit: Unit) -> None:
    """The unit must be one that submits this form (inside its area, at one of its levels,
    of one of its kinds of organisation)."""
    form_path = place_service.path_of(session, code=form.area_code) or ""
    kinds = kinds_of(form)
    if (
        not unit.path.startswith(form_path)
        or unit.tier not in levels_of(form)
        or (unit.tier == SECTOR and unit.place != form.area_code)
        or (unit.tier == ORGANISATION and kinds and unit.organisation_kind not in kinds)
    ):
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


def figures_for(session: Session, *, unit: Unit, period: Period) -> dict[str, Any]:
    """The unit's indicators for the period, from the stored daily snapshots: the state at
    the last computed day (citizens, venues, rosters) and the sums over the period
    (declarations, check-ins). An organisation's and a sector's rows have no population,
    citizens nor declarations (None)."""
    rows = indicators.read(
        session,
        unit=unit.kind,
        area_code=unit.place,
        sector=unit.sector,
        organisation_id=unit.organisation_id,
        first=period.start,
        last=period.end,
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
        "declarations": (
            None if unit.kind is not IndicatorUnit.AREA else sum(r.declarations or 0 for r in rows)
        ),
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
    """The report of a unit (by its key: an area's code, `org-…`, `sector-…`)."""
    stmt = select(Report).where(
        Report.form_id == form.id,
        Report.unit_key == unit_code,
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
        unit_type=unit.kind,
        unit_key=unit.code,
        unit_code=unit.place,
        organisation_id=unit.organisation_id,
        sector=unit.sector,
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
    report.figures = figures_for(session, unit=unit, period=period)
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
            select(Report.unit_key).where(
                Report.form_id == form.id,
                Report.period_start == period.start,
                Report.unit_key.in_([c.code for c in children]),
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


def awaiting_review(session: Session, *, form: ReportForm, limit: int = 200) -> list[Report]:
    """The form's submitted reports waiting for review, the longest waiting first."""
    stmt = (
        select(Report)
        .where(Report.form_id == form.id, Report.status.in_(SUBMITTED_STATES))
        .order_by(Report.submitted_at, Report.unit_key)
        .limit(limit)
    )
    return list(session.scalars(stmt))


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
    unit: Unit | None = None


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
            select(Report.unit_key, Report.status, Report.first_submitted_at).where(
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
                Lagging(
                    unit.code, unit.name, unit.tier, shown, overdue=moment > deadline, unit=unit
                )
            )
    result.rows = sorted(rows.values(), key=lambda r: (r.code != area.code, r.name))
    return result


# -- following up -------------------------------------------------------------------------

REMINDER_TEMPLATE = "report_reminder"
WRITER_ROLES = tuple(sorted(AREA_WRITERS, key=lambda r: r.value))


@dataclass
class Reminded:
    units: int = 0
    recipients: int = 0
    duplicates: int = 0  # already reminded today
    without_staff: list[str] = field(default_factory=list)  # unit codes nobody could receive


def _active(session: Session, user_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    if not user_ids:
        return []
    stmt = select(UserAccount.id).where(
        UserAccount.id.in_(list(user_ids)), UserAccount.is_active.is_(True)
    )
    return sorted(session.scalars(stmt))


def writers_of(session: Session, *, form: ReportForm, unit: Unit) -> list[uuid.UUID]:
    """The accounts that write a unit's report: the area's own officials (granted on it), the
    organisation's admins, the sector's directors granted on (or above) the form's area."""
    if unit.tier == ORGANISATION and unit.organisation_id is not None:
        ids = session.scalars(
            select(OrganisationAdmin.user_id).where(
                OrganisationAdmin.organisation_id == unit.organisation_id
            )
        )
        return _active(session, list(ids))
    if unit.tier == SECTOR:
        ancestors = [unit.place, *unit.ancestors]
        stmt = (
            select(SectorDirector.user_id)
            .join(RoleGrant, RoleGrant.user_id == SectorDirector.user_id)
            .where(
                SectorDirector.sector == Sector(unit.sector),
                RoleGrant.role == Role.SECTOR_DIRECTOR,
                RoleGrant.area_code.in_(ancestors) | RoleGrant.area_code.is_(None),
            )
            .distinct()
        )
        return _active(session, list(session.scalars(stmt)))
    recipients = alert_service.staff_of(session, area_code=unit.code, roles=WRITER_ROLES)
    return [r.user_id for r in recipients if r.user_id is not None]


def remind(
    session: Session,
    *,
    form: ReportForm,
    area: Unit,
    period: Period,
    now: datetime | None = None,
) -> Reminded:
    """One in-app reminder to the writers of every lagging unit (at most one a unit a day):
    an area's officials, an organisation's admins, a sector's directors."""
    moment = now or utcnow()
    lagging = rate(session, form=form, area=area, period=period, now=moment).lagging
    deadline = localtime.to_local(period.deadline(form.due_days))
    result = Reminded()
    for lag in lagging:
        unit = lag.unit or get_unit(session, code=lag.code, form=form)
        user_ids = writers_of(session, form=form, unit=unit)
        if not user_ids:
            result.without_staff.append(unit.code)
            continue
        result.units += 1
        key = f"report:{form.id.hex}:{period.key}:{unit.code}:{localtime.today(moment)}"
        sent = alert_service.enqueue(
            session,
            recipients=[alert_service.Recipient.user(u) for u in user_ids],
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
