"""Scheduled jobs: the check-in roll-up, the rollout indicators of yesterday once the local
day is over, door-to-door visits past their retention, and roster members no upload
confirmed for the roster retention period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job
from epitrace.rollout import indicators, rollups, rosters
from epitrace.rollout.models import Household, HouseholdVisit


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


def purge_visits(session: Session, settings: Settings) -> str:
    """Daily: visits recorded more than `household_retention_days` ago, and the households
    (head's name, address) listed before then that nobody visited since."""
    cutoff = utcnow() - timedelta(days=settings.household_retention_days)
    visits = session.execute(
        delete(HouseholdVisit)
        .where(HouseholdVisit.recorded_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    households = session.execute(
        delete(Household)
        .where(
            Household.created_at < cutoff,
            Household.id.not_in(select(HouseholdVisit.household_id)),
        )
        .execution_options(synchronize_session=False)
    )
    return (
        f"{int(getattr(visits, 'rowcount', 0) or 0)} visits, "
        f"{int(getattr(households, 'rowcount', 0) or 0)} households"
    )


def purge_rosters(session: Session, settings: Settings) -> str:
    """Daily: the roster members no upload or edit confirmed for `roster_retention_days`."""
    cutoff = utcnow() - timedelta(days=settings.roster_retention_days)
    return f"{rosters.purge_unconfirmed(session, before=cutoff)} roster members"


JOBS = [
    Job("rollout.purge_rosters", 86400, purge_rosters),
    Job("rollout.purge_visits", 86400, purge_visits),
    Job("rollout.rollup_checkins", 300, roll_up_checkins),
    Job("rollout.indicators", 3600, indicators_of_yesterday),
]
