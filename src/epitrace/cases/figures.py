"""Staff home figures of cases: open cases (F0) and people under isolation or quarantine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from epitrace.cases import service as case_service
from epitrace.errors import N_
from epitrace.security.roles import Action
from epitrace.web.figures import FigureValue, StaffFigure


def _cases(session: Session, areas: Sequence[str | None], now: datetime) -> FigureValue:
    return FigureValue(case_service.count_active_cases(session, area_paths=areas))


def _orders(session: Session, areas: Sequence[str | None], now: datetime) -> FigureValue:
    return FigureValue(case_service.count_active_orders(session, area_paths=areas, now=now))


FIGURES = [
    StaffFigure(Action.TRACING_IDENTITIES, "/cases", N_("Open cases (F0)"), _cases),
    StaffFigure(
        Action.QUARANTINE_MANAGE,
        "/quarantine",
        N_("People in isolation or quarantine (F0, F1, F2)"),
        _orders,
    ),
]
