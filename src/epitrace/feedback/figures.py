"""Staff home figures of feedback: reports waiting for an answer, and how long the oldest waits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from epitrace.errors import N_
from epitrace.feedback import service as feedback_service
from epitrace.security.roles import Action
from epitrace.web import i18n
from epitrace.web.figures import FigureValue, StaffFigure


def _open(session: Session, areas: Sequence[str | None], now: datetime) -> FigureValue:
    count, oldest = feedback_service.open_summary(session, area_paths=areas)
    if oldest is None:
        return FigureValue(count)
    hours = max(0, int((now - oldest).total_seconds() // 3600))
    if hours < 48:
        note = i18n.gettext("oldest waiting: %(hours)d h", hours=hours)
    else:
        note = i18n.gettext("oldest waiting: %(days)d days", days=hours // 24)
    return FigureValue(count, note=note, attention=True)


FIGURES = [
    StaffFigure(
        Action.FEEDBACK_HANDLE,
        "/feedback/inbox?status=open",
        N_("Feedback waiting for an answer"),
        _open,
    )
]
