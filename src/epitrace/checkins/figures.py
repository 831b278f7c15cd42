"""Staff home figures of check-in: today's check-ins, and open venues nobody checked in at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.checkins import service as checkin_service
from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.figures import FigureValue, StaffFigure

IDLE_DAYS = 7  # a venue with no check-in for a week has probably not posted or not scanned


def _today(session: Session, areas: Sequence[str | None], now: datetime) -> FigureValue:
    start, _end = localtime.day_bounds(localtime.today(now))
    return FigureValue(checkin_service.count_entries_since(session, area_paths=areas, since=start))


def _idle(session: Session, areas: Sequence[str | None], now: datetime) -> FigureValue:
    count = checkin_service.count_idle_venues(
        session, area_paths=areas, since=now - timedelta(days=IDLE_DAYS)
    )
    return FigureValue(count, attention=count > 0)


FIGURES = [
    StaffFigure(Action.CHECKINS_COUNTS, "/checkins/counts", N_("Check-ins today"), _today),
    StaffFigure(
        Action.CHECKINS_COUNTS,
        "/checkins/counts",
        N_("Venues without a check-in for 7 days"),
        _idle,
    ),
]
