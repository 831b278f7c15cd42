"""Scheduled job: remind people whose health declaration has lapsed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.declarations import flows as declaration_flows
from epitrace.jobs import Job


def declaration_reminders(session: Session, settings: Settings) -> int:
    return declaration_flows.queue_declaration_reminders(session, now=utcnow())


JOBS = [Job("declarations.reminders", 3600, declaration_reminders)]
