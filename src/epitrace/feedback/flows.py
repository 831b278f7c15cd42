"""Answering a citizen's report (phản ánh): the answer and the notice that tells them, together."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.alerts.service import Recipient
from epitrace.feedback import service as feedback_service
from epitrace.feedback.models import Feedback
from epitrace.places import service as place_service
from epitrace.security.permissions import Principal


def answer_feedback(
    session: Session, *, actor: Principal, feedback: Feedback, text: str, close: bool, now: datetime
) -> Feedback:
    """Answer (and maybe close) a report; a new answer reaches the citizen's inbox and devices.

    A device notification, else the inbox only: an answer is not worth an SMS.
    """
    before = feedback.answered_at
    feedback_service.answer(
        session, actor=actor, feedback=feedback, text=text, close=close, now=now
    )
    if feedback.answered_at is not None and feedback.answered_at != before:
        alert_service.enqueue(
            session,
            recipients=[Recipient.person(feedback.person_id)],
            template="feedback_answered",
            params={
                "unit": place_service.name_of(session, feedback.ward_code),
                "day": localtime.to_local(feedback.created_at).strftime("%d/%m/%Y"),
                "answer": (feedback.answer or "")[:500],
            },
            channels=(Channel.PUSH,),
            dedup_key=f"feedback:{feedback.id.hex}:{now.isoformat()}",
            now=now,
        )
    return feedback
