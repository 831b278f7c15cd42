"""Staff home figures of declarations: flagged declarations of the last day not followed up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from epitrace.declarations import service as declaration_service
from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.figures import FigureValue, StaffFigure


def _flagged(session: Session, areas: Sequence[str | None], now: datetime) -> FigureValue:
    count = declaration_service.count_flagged_waiting(
        session, area_paths=areas, since=now - timedelta(days=1)
    )
    return FigureValue(count, attention=count > 0)


FIGURES = [
    StaffFigure(
        Action.DECLARATIONS_REVIEW,
        "/declarations/review?days=1&followed_up=no",
        N_("Flagged declarations (24 h) not followed up"),
        _flagged,
    )
]
