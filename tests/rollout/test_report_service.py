"""The reporting chain's rules: periods, the state machine, the children-approved rule, the
reporting rate and reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.alerts.models import OutboxMessage
from epitrace.errors import Conflict, InvalidInput
from epitrace.rollout import periods
from epitrace.rollout import reports as svc
from epitrace.rollout.models import Report, ReportStatus
from epitrace.rollout.periods import Period, PeriodType
from tests import factories

ACTOR = svc.Actor(None, "Người thử")
WEEK = periods.parse(PeriodType.WEEKLY, "2026-W40")


# -- periods ------------------------------------------------------------------------------


def test_periods_are_local_days_weeks_and_months() -> None:
    assert Period(PeriodType.WEEKLY, date(2026, 9, 28), date(2026, 10, 4)) == WEEK
    assert WEEK.key == "2026-W40"
    month = periods.parse(PeriodType.MONTHLY, "2026-02")
    assert (month.start, month.end, month.key) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    day = periods.parse(PeriodType.DAILY, "2026-11-30")
    assert day.start == day.end == date(2026, 11, 30)
    # due one day after the week: the end of Monday 5 October, Vietnam time (17:00 UTC)
    assert WEEK.deadline(1) == datetime(2026, 10, 5, 17, 0, tzinfo=UTC)
    assert periods.last_ended(PeriodType.WEEKLY, date(2026, 10, 7)) == WEEK


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (PeriodType.WEEKLY, "2026-11"),
        (PeriodType.WEEKLY, "2026-W54"),
        (PeriodType.MONTHLY, "2026-13"),
        (PeriodType.DAILY, "2026-02-30"),
        (PeriodType.DAILY, "'; drop"),
    ],
)
def test_a_malformed_period_is_refused(kind: PeriodType, key: str) -> None:
    with pytest.raises(InvalidInput):
        periods.parse(kind, key)


@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_every_day_lies_in_the_period_its_key_names(day: date) -> None:
    for kind in PeriodType:
        period = periods.containing(kind, day)
        assert period.start <= day <= period.end
        assert periods.parse(kind, period.key) == period


# -- forms and the chain ------------------------------------------------------------------


def _form(
    session: Session, area: str = "99", levels: tuple[str, ...] = ("district", "ward")
) -> Any:
    return svc.create_form(
        session,
        name="Báo cáo tuần",
        area_code=area,
        period_type=PeriodType.WEEKLY,
        due_days=1,
        levels=levels,
        created_by=None,
    )


def _unit(session: Session, code: str) -> svc.Unit:
    return svc.get_unit(session, code=code)


def test_children_follow_the_levels_of_the_form(session: Session, places: Any) -> None:
    form = _form(session, levels=("province", "district", "ward"))
    children = svc.expected_children(session, form, _unit(session, "99"))
    assert [u.code for u in children] == ["991", "992"]
    only_wards = _form(session, levels=("province", "ward"))
    children = svc.expected_children(session, only_wards, _unit(session, "99"))
    assert [u.code for u in children] == ["99101", "99102", "99201"]
    with pytest.raises(InvalidInput):
        svc.check_unit(session, _form(session, levels=("ward",)), _unit(session, "991"))
    with pytest.raises(InvalidInput):  # outside the form's province
        svc.check_unit(session, form, _unit(session, "26743"))


def test_bad_forms_are_refused(session: Session, places: Any) -> None:
    with pytest.raises(InvalidInput):
        _form(session, levels=("hamlet",))
    with pytest.raises(InvalidInput):
        svc.create_form(
            session,
            name=" ",
            area_code="99",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["ward"],
            created_by=None,
        )
    with pytest.raises(InvalidInput):
        svc.create_form(
            session,
            name="x",
            area_code="99",
            period_type=PeriodType.WEEKLY,
            due_days=61,
            levels=["ward"],
            created_by=None,
        )


def test_submit_return_resubmit_approve_then_locked(session: Session, places: Any) -> None:
    form = _form(session)
    ward = _unit(session, "99101")
    kw: dict[str, Any] = {"form": form, "unit": ward, "period": WEEK, "actor": ACTOR}
    report = svc.save(session, results="Đã phát tờ rơi", difficulties="", proposals="", **kw)
    assert report.status is ReportStatus.DRAFT
    with pytest.raises(Conflict):  # nothing submitted: nothing to review
        svc.approve(session, **kw)
    svc.submit(session, **kw)
    assert report.status is ReportStatus.SUBMITTED and report.results == "Đã phát tờ rơi"
    with pytest.raises(Conflict):  # under review: the unit waits
        svc.save(session, results="sửa", difficulties=None, proposals=None, **kw)
    with pytest.raises(InvalidInput):  # a return says what to correct
        svc.return_report(session, comment="  ", **kw)
    svc.return_report(session, comment="Thiếu số liệu", **kw)
    assert report.status is ReportStatus.RETURNED and report.review_comment == "Thiếu số liệu"
    first = report.first_submitted_at
    svc.submit(session, results="Đã bổ sung", **kw)
    assert report.status is ReportStatus.RESUBMITTED
    assert report.first_submitted_at == first
    svc.approve(session, **kw)
    assert report.status is ReportStatus.APPROVED
    for step in (
        lambda: svc.submit(session, **kw),
        lambda: svc.save(session, results="x", difficulties=None, proposals=None, **kw),
        lambda: svc.return_report(session, comment="muộn", **kw),
        lambda: svc.approve(session, **kw),
    ):
        with pytest.raises(Conflict) as caught:
            step()
        assert caught.value.code == "report_locked"
    kinds = [e.kind for e in svc.events_of(session, report_id=report.id)]
    assert kinds == ["save", "save", "submit", "return", "save", "resubmit", "approve"]


def test_a_district_is_approved_only_after_all_its_wards(session: Session, places: Any) -> None:
    form = _form(session)
    district = _unit(session, "991")
    svc.submit(session, form=form, unit=district, period=WEEK, actor=ACTOR)
    with pytest.raises(Conflict) as caught:
        svc.approve(session, form=form, unit=district, period=WEEK, actor=ACTOR)
    assert caught.value.code == "children_not_approved"
    for code in ("99101", "99102"):
        ward = _unit(session, code)
        svc.submit(session, form=form, unit=ward, period=WEEK, actor=ACTOR)
        svc.approve(session, form=form, unit=ward, period=WEEK, actor=ACTOR)
    svc.approve(session, form=form, unit=district, period=WEEK, actor=ACTOR)


def test_the_rate_counts_expected_submitted_on_time_and_approved(
    session: Session, places: Any
) -> None:
    form = _form(session)
    deadline = WEEK.deadline(form.due_days)
    kw: dict[str, Any] = {"form": form, "period": WEEK, "actor": ACTOR}
    svc.submit(session, unit=_unit(session, "99101"), now=deadline - timedelta(hours=1), **kw)
    svc.approve(session, unit=_unit(session, "99101"), **kw)
    svc.submit(session, unit=_unit(session, "99201"), now=deadline + timedelta(hours=1), **kw)
    svc.save(session, unit=_unit(session, "99102"), results="", difficulties="", proposals="", **kw)
    result = svc.rate(session, form=form, area=_unit(session, "99"), period=WEEK)
    rows = {r.code: (r.expected, r.submitted, r.on_time, r.approved) for r in result.rows}
    assert rows == {"991": (3, 1, 1, 1), "992": (2, 1, 0, 0)}
    assert (result.total.expected, result.total.submitted, result.total.approved) == (5, 2, 1)
    lagging = {u.code: u.status for u in result.lagging}
    assert lagging == {"991": "missing", "99102": "draft", "992": "missing"}


def test_reminders_reach_the_staff_of_lagging_units_once_a_day(
    session: Session, places: Any
) -> None:
    factories.staff(session, username="xa-mot-a", role="ward_official", area="99101")
    factories.staff(session, username="xa-mot-b", role="ward_official", area="99102")
    factories.staff(session, username="tinh", role="province_official", area="99")
    form = _form(session, levels=("ward",))
    svc.submit(session, form=form, unit=_unit(session, "99101"), period=WEEK, actor=ACTOR)
    now = datetime(2026, 10, 6, 3, 0, tzinfo=UTC)
    sent = svc.remind(session, form=form, area=_unit(session, "99"), period=WEEK, now=now)
    assert (sent.units, sent.recipients, sent.without_staff) == (1, 1, ["99201"])
    again = svc.remind(session, form=form, area=_unit(session, "99"), period=WEEK, now=now)
    assert (again.recipients, again.duplicates) == (0, 1)
    count = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.template == "report_reminder")
    )
    assert count == 1


# -- property: any order of steps keeps the chain sound ---------------------------------

CHAIN = ("99", "991", "99101", "99102", "992", "99201")
STEPS = st.lists(
    st.tuples(st.sampled_from(("save", "submit", "return", "approve")), st.sampled_from(CHAIN)),
    min_size=1,
    max_size=30,
)
ALLOWED = {
    None: {ReportStatus.DRAFT, ReportStatus.SUBMITTED},
    ReportStatus.DRAFT: {ReportStatus.DRAFT, ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.RETURNED, ReportStatus.APPROVED},
    ReportStatus.RETURNED: {ReportStatus.RETURNED, ReportStatus.RESUBMITTED},
    ReportStatus.RESUBMITTED: {ReportStatus.RETURNED, ReportStatus.APPROVED},
    ReportStatus.APPROVED: set(),
}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_property_approved_reports_are_locked_and_rest_on_approved_children(
    session: Session, places: Any, steps: list[tuple[str, str]]
) -> None:
    session.rollback()
    session.begin_nested()
    form = _form(session, levels=("province", "district", "ward"))
    units = {code: _unit(session, code) for code in CHAIN}
    for action, code in steps:
        kw: dict[str, Any] = {"form": form, "unit": units[code], "period": WEEK, "actor": ACTOR}
        before = svc.get_report(session, form=form, unit_code=code, period=WEEK)
        status_before = before.status if before else None
        try:
            if action == "save":
                svc.save(session, results="r", difficulties="d", proposals="p", **kw)
            elif action == "submit":
                svc.submit(session, **kw)
            elif action == "return":
                svc.return_report(session, comment="sửa lại", **kw)
            else:
                svc.approve(session, **kw)
        except Conflict:
            after = svc.get_report(session, form=form, unit_code=code, period=WEEK)
            assert (after.status if after else None) == status_before  # a refusal changes nothing
            continue
        after = svc.get_report(session, form=form, unit_code=code, period=WEEK)
        assert after is not None
        assert after.status in ALLOWED[status_before], (status_before, action, after.status)
        # the chain: every approved report rests on approved reports of its children
        approved = {
            r.unit_code
            for r in session.scalars(select(Report).where(Report.status == ReportStatus.APPROVED))
        }
        for unit_code in approved:
            for child in svc.expected_children(session, form, units[unit_code]):
                assert child.code in approved, (unit_code, child.code)
    session.rollback()


def test_two_first_saves_at_once_end_in_one_report(db: Any, places: Any) -> None:
    """The second request, which did not see the first one's new row, uses it."""
    with db.session_scope() as s:
        form_id = _form(s).id
    with db.session_scope() as first:
        form = svc.get_form(first, form_id=form_id)
        made = svc.save(
            first,
            form=form,
            unit=_unit(first, "99101"),
            period=WEEK,
            results="một",
            difficulties="",
            proposals="",
            actor=ACTOR,
        )
        made_id = made.id
    with db.session_scope() as second:
        form = svc.get_form(second, form_id=form_id)
        found = svc._create(second, form=form, unit=_unit(second, "99101"), period=WEEK)
        assert found.id == made_id and found.results == "một"
