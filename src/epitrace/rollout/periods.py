"""Report periods (daily, weekly, monthly) and their deadlines, in the deployment's local time.

A period is named by a key that reads well in a URL: `2026-11-30` (a day), `2026-W48` (an ISO
week, Monday to Sunday), `2026-11` (a calendar month). Pure functions, no database.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from epitrace import localtime
from epitrace.errors import N_, InvalidInput


class PeriodType(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


PERIOD_TYPE_NAMES = {
    PeriodType.DAILY: N_("Daily"),
    PeriodType.WEEKLY: N_("Weekly"),
    PeriodType.MONTHLY: N_("Monthly"),
}

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: PeriodType
    start: date  # first local day
    end: date  # last local day (included)

    @property
    def key(self) -> str:
        if self.kind is PeriodType.DAILY:
            return self.start.isoformat()
        if self.kind is PeriodType.WEEKLY:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def deadline(self, due_days: int) -> datetime:
        """The UTC moment a report is late after: the end of the local day `due_days` days
        after the period's last day (0: the period's last day itself)."""
        return localtime.day_bounds(self.end + timedelta(days=due_days))[1]

    def has_started(self, today: date) -> bool:
        return self.start <= today

    def previous(self) -> Period:
        return containing(self.kind, self.start - timedelta(days=1))


def containing(kind: PeriodType, day: date) -> Period:
    """The period of this type that holds a local day."""
    if kind is PeriodType.DAILY:
        return Period(kind, day, day)
    if kind is PeriodType.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(kind, start, following - timedelta(days=1))


def last_ended(kind: PeriodType, today: date) -> Period:
    """The latest period that has ended before `today` (the one being reported on)."""
    return containing(kind, today).previous()


def _bad(key: str, kind: PeriodType) -> InvalidInput:
    examples = {
        PeriodType.DAILY: "2026-11-30",
        PeriodType.WEEKLY: "2026-W48",
        PeriodType.MONTHLY: "2026-11",
    }
    return InvalidInput(
        N_("%(period)s is not a period of this form; write it like %(example)s."),
        params={"period": key[:20], "example": examples[kind]},
        fields={"period": N_("A period of the form's type.")},
    )


def parse(kind: PeriodType, key: str) -> Period:
    """The period a key names, for a form of this type; a malformed key is a 422."""
    key = key.strip()
    try:
        if kind is PeriodType.DAILY and (m := _DAY.match(key)):
            return containing(kind, date(int(m[1]), int(m[2]), int(m[3])))
        if kind is PeriodType.WEEKLY and (m := _WEEK.match(key)):
            return containing(kind, date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if kind is PeriodType.MONTHLY and (m := _MONTH.match(key)):
            return containing(kind, date(int(m[1]), int(m[2]), 1))
    except ValueError:
        raise _bad(key, kind) from None
    raise _bad(key, kind)
