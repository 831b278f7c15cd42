"""Repeat rules (pure): occurrences in order, on the right weekday and local time, counted
right; and the phone-list reader's refusal report."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace import localtime
from epitrace.alerts import campaign_phones
from epitrace.alerts.campaign_schedule import MAX_OCCURRENCES, Repeat, Rule, local_times, utc_times
from epitrace.errors import InvalidInput


def wall(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive local wall-clock time, as rules take them."""
    return datetime.combine(day, time(hour, minute))


starts = st.builds(
    wall, st.dates(date(2026, 1, 1), date(2030, 12, 31)), st.integers(0, 23), st.integers(0, 59)
)


@given(
    start=starts,
    repeat=st.sampled_from(list(Repeat)),
    weekday=st.integers(0, 6),
    count=st.one_of(st.none(), st.integers(1, 60)),
    until_days=st.one_of(st.none(), st.integers(0, 400)),
)
def test_occurrences_follow_the_rule(
    start: datetime, repeat: Repeat, weekday: int, count: int | None, until_days: int | None
) -> None:
    if repeat is not Repeat.NONE and count is None and until_days is None:
        count = 3
    until = start.date() + timedelta(days=until_days) if until_days is not None else None
    rule = Rule(start=start, repeat=repeat, weekday=weekday, count=count, until=until)
    if repeat is Repeat.WEEKLY and until is not None:
        first_day = start.date() + timedelta(days=(weekday - start.weekday()) % 7)
        if first_day > until:
            with pytest.raises(InvalidInput):
                local_times(rule)
            return
    times = local_times(rule)
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(t.time() == start.time() for t in times)
    assert all(t >= start for t in times)
    if repeat is Repeat.NONE:
        assert times == [start]
        return
    if until is not None:
        assert all(t.date() <= until for t in times)
    step = 1 if repeat is Repeat.DAILY else 7
    assert all((b - a) == timedelta(days=step) for a, b in itertools.pairwise(times))
    if repeat is Repeat.WEEKLY:
        assert all(t.weekday() == weekday for t in times)
        assert times[0] - start < timedelta(days=7)
    else:
        assert times[0] == start
    # the count: exactly N, unless the last day comes first
    expected = count or MAX_OCCURRENCES
    if until is not None:
        fit = (until - times[0].date()).days // step + 1
        expected = min(expected, fit)
    assert len(times) == min(expected, MAX_OCCURRENCES)
    # stored in UTC, they come back to the same local wall clock
    for local, utc in zip(times, utc_times(rule), strict=True):
        assert localtime.to_local(utc).replace(tzinfo=None) == local


def test_every_monday_0800_for_six_weeks() -> None:
    rule = Rule(start=wall(date(2026, 12, 2), 8), repeat=Repeat.WEEKLY, weekday=0, count=6)
    times = local_times(rule)
    assert [t.date() for t in times] == [date(2026, 12, 7) + timedelta(weeks=n) for n in range(6)]
    assert {t.hour for t in times} == {8}
    assert utc_times(rule)[0].hour == 1  # 08:00 in Viet Nam


def test_a_repeat_needs_an_end() -> None:
    with pytest.raises(InvalidInput):
        local_times(Rule(start=wall(date(2026, 12, 2), 8), repeat=Repeat.DAILY))
    with pytest.raises(InvalidInput):
        local_times(
            Rule(start=wall(date(2026, 12, 2), 8), repeat=Repeat.DAILY, until=date(2026, 12, 1))
        )


def test_phone_list_from_a_telco_without_header() -> None:
    text = "0912345678\n\n0912 345 678\nabc\n0123\n+84 98 765 4321\n"
    result = campaign_phones.read("list.txt", text.encode())
    assert result.accepted == ["+84912345678", "+84987654321"]
    assert [(r.line, r.reason.value) for r in result.refused] == [
        (3, "duplicate"),
        (4, "text"),
        (5, "invalid"),
    ]
    assert result.lines == 5


def test_phone_list_from_a_workbook_keeps_leading_zeros() -> None:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Họ tên", "Số điện thoại"])
    sheet.append(["An", 912345678])  # a number cell has lost its 0
    sheet.append(["Bình", "gọi lại sau"])
    out = BytesIO()
    book.save(out)
    result = campaign_phones.read("ds.xlsx", out.getvalue())
    assert result.accepted == ["+84912345678"]
    assert [r.reason.value for r in result.refused] == ["text"]
    with pytest.raises(InvalidInput):
        campaign_phones.read("empty.csv", b"  \n")
