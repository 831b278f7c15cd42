"""The demo declarations and reports are created once and make sense to officials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.db import utcnow
from epitrace.declarations import demo as declaration_demo
from epitrace.declarations import service as declaration_service
from epitrace.declarations.models import Declaration
from epitrace.demo import DemoContext
from epitrace.feedback import demo as feedback_demo
from epitrace.feedback.models import Feedback


def test_demo_seeds_once(session: Session, places: Any) -> None:
    context = DemoContext(province="79", wards=["26743", "26734"])
    for _ in range(2):
        declaration_demo.seed(session, context)
        feedback_demo.seed(session, context)
    assert session.scalar(select(func.count()).select_from(Declaration)) == 7
    assert session.scalar(select(func.count()).select_from(Feedback)) == 3
    flagged = declaration_service.get_flagged(
        session, area_path="79.", since=utcnow() - timedelta(days=7)
    )
    assert len(flagged) == 4
    assert len(declaration_service.get_expired(session, now=utcnow())) == 1
