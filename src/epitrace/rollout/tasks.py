"""Scheduled jobs: the check-in roll-up, and the rollout indicators of yesterday once the
local day is over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.config import Settings
from epitrace.jobs import Job
from epitrace.rollout import indicators, rollups


def indicators_of_yesterday(session: Session, settings: Settings) -> str:
    """Hourly; the first run after local midnight writes yesterday's snapshot, later runs keep
    it (a past day is never rewritten without `--force`)."""
    day = localtime.today() - timedelta(days=1)
    result = indicators.compute_day(
        session, day, smartphone_share=settings.rollout_smartphone_share
    )
    return f"{day.isoformat()}: {'kept' if result.kept else f'{result.rows} rows'}"


def roll_up_checkins(session: Session, settings: Settings) -> str:
    """Every five minutes: count the check-ins stored since the last run, per venue and day."""
    done = rollups.catch_up(session)
    return f"upto {done.upto.isoformat()}: {len(done.days)} days"


JOBS = [
    Job("rollout.rollup_checkins", 300, roll_up_checkins),
    Job("rollout.indicators", 3600, indicators_of_yesterday),
]
