"""Stories of the security domain that reach other domains: unusual access is told to the
system administrators through the alerts outbox (their inbox, and e-mail when configured)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts.models import RoleGrant, UserAccount
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.config import Settings
from epitrace.security import oversight
from epitrace.security.roles import Role


def flag_unusual_access(session: Session, settings: Settings, *, now: datetime) -> int:
    """Check the last two completed windows (a missed run is caught up); tell the admins."""
    end = oversight.window_of(now, settings)
    previous = oversight.window_of(end[0], settings)
    flags = oversight.detect(session, settings, windows=[previous, end])
    if not flags:
        return 0
    admins = list(
        session.scalars(
            select(UserAccount.id)
            .join(RoleGrant, RoleGrant.user_id == UserAccount.id)
            .where(RoleGrant.role == Role.SYSTEM_ADMIN, UserAccount.is_active.is_(True))
            .distinct()
        )
    )
    for flag in flags:
        alert_service.enqueue(
            session,
            recipients=[alert_service.Recipient.user(a) for a in admins],
            template=f"access_flag_{flag.kind}",
            dedup_key=f"access_flag:{flag.id}",
            params={
                "account": flag.actor_label,
                "people": flag.people,
                "start": flag.window_start,
                "end": flag.window_end,
            },
            channels=(Channel.EMAIL, Channel.INBOX),
            now=now,
        )
    return len(flags)
