"""When a campaign's messages go out: a start (local wall clock) and a repeat rule.

A rule is none (once), daily, or weekly on one weekday, at the start's local time of day, for
N occurrences or until a local date (inclusive). "Every Monday 08:00 for 6 weeks" is
`Rule(start=<a day> 08:00, repeat=WEEKLY, weekday=0, count=6)`. Pure: no database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from epitrace import localtime
from epitrace.errors import N_, InvalidInput

MAX_OCCURRENCES = 366  # a year of daily messages; beyond that, start a new campaign


class Repeat(enum.StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class Rule:
    start: datetime  # naive, on the local wall clock
    repeat: Repeat = Repeat.NONE
    weekday: int | None = None  # 0 = Monday (weekly only; default: the start's weekday)
    count: int | None = None  # how many occurrences (repeating rules need count or until)
    until: date | None = None  # the last local day (inclusive)

    def check(self) -> None:
        if self.start.tzinfo is not None:
            raise ValueError("a rule's start is a local wall-clock time (naive)")
        if self.repeat is Repeat.NONE:
            return
        if self.count is None and self.until is None:
            raise InvalidInput(
                N_("A repeated campaign needs a number of times or a last day."),
                fields={"repeat_count": N_("Give a number of times or a last day.")},
            )
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise InvalidInput(
                N_("A campaign repeats between 1 and %(n)s times."),
                params={"n": MAX_OCCURRENCES},
                fields={"repeat_count": N_("Between 1 and 366.")},
            )
        if self.until is not None and self.until < self.start.date():
            raise InvalidInput(
                N_("The last day is before the start."),
                fields={"repeat_until": N_("The last day is before the start.")},
            )
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise InvalidInput(
                N_("Choose a day of the week."), fields={"weekday": N_("Choose a day.")}
            )


def local_times(rule: Rule) -> list[datetime]:
    """The occurrences on the local wall clock, in order (at most MAX_OCCURRENCES)."""
    rule.check()
    if rule.repeat is Repeat.NONE:
        return [rule.start]
    step = timedelta(days=1)
    first = rule.start
    if rule.repeat is Repeat.WEEKLY:
        step = timedelta(days=7)
        weekday = rule.start.weekday() if rule.weekday is None else rule.weekday
        first = rule.start + timedelta(days=(weekday - rule.start.weekday()) % 7)
    limit = min(rule.count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    out: list[datetime] = []
    moment = first
    while len(out) < limit and (rule.until is None or moment.date() <= rule.until):
        out.append(moment)
        moment += step
    if not out:
        raise InvalidInput(
            N_("No sending falls between the start and the last day."),
            fields={"repeat_until": N_("No sending falls between the start and the last day.")},
        )
    return out


def utc_times(rule: Rule) -> list[datetime]:
    """The occurrences as UTC moments (the stored `due_at`)."""
    return [localtime.at_local(m.date(), m.time()) for m in local_times(rule)]


def as_local(moment: datetime) -> datetime:
    """A stored UTC moment as the naive local wall-clock time a rule starts from."""
    return localtime.to_local(moment.astimezone(UTC)).replace(tzinfo=None)
