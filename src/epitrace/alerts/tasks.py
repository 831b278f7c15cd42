"""Scheduled jobs of the alerts domain: queue the campaigns' occurrences that fell due; delete
messages and replies past their retention (docs/privacy.md)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from epitrace.alerts import campaigns
from epitrace.alerts.models import (
    TERMINAL,
    Campaign,
    CampaignPhone,
    CampaignStatus,
    InboundSms,
    OutboxMessage,
    Status,
)
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job


def campaigns_due(session: Session, settings: Settings) -> str:
    """Every minute: each due occurrence is queued once (the row is marked in the same
    transaction and the dedup key `campaign:<id>:<n>` protects a second run)."""
    return f"{campaigns.run_due(session, now=utcnow())} occurrences queued"


def purge(session: Session, settings: Settings) -> str:
    """Daily: messages in a final state (and sent ones: their receipt never came) and SMS
    replies older than `EPITRACE_ALERTS_RETENTION_DAYS` go (and the uploaded numbers of
    campaigns ended that long ago), with their phone numbers, e-mail
    addresses and parameters; the account's notices list shows that many days. A message
    still waiting goes only once it is that long past its expiry (a worker would have
    expired it; none may run for its channel)."""
    cutoff = utcnow() - timedelta(days=settings.alerts_retention_days)
    final = [s.value for s in (*TERMINAL, Status.SENT)]
    messages = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.created_at < cutoff,
            # final, or never sent and long past its expiry (no worker for its channel)
            or_(OutboxMessage.status.in_(final), OutboxMessage.expires_at < cutoff),
        )
    ).rowcount  # type: ignore[attr-defined]
    replies = session.execute(delete(InboundSms).where(InboundSms.received_at < cutoff)).rowcount  # type: ignore[attr-defined]
    # an uploaded list of numbers outlives its campaign by the same period (its occurrences
    # keep how many were reached)
    ended = select(Campaign.id).where(
        Campaign.status.in_([CampaignStatus.FINISHED.value, CampaignStatus.CANCELLED.value]),
        Campaign.updated_at < cutoff,
    )
    numbers = session.execute(
        delete(CampaignPhone).where(CampaignPhone.campaign_id.in_(ended))
    ).rowcount  # type: ignore[attr-defined]
    return (
        f"{messages or 0} messages, {replies or 0} replies and {numbers or 0} uploaded numbers "
        "deleted"
    )


JOBS = [Job("alerts.campaigns", 60, campaigns_due), Job("alerts.purge", 86400, purge)]
