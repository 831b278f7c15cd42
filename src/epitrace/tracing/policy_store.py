"""Stored versions of the tracing policy: the current one, the history, and new versions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.errors import N_, InvalidInput
from epitrace.tracing.models import PolicyVersion
from epitrace.tracing.policy import DEFAULT_POLICY, Policy


def current(session: Session) -> Policy:
    """The policy in force: the highest stored version, or the defaults as version 0."""
    row = session.scalars(
        select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1)
    ).first()
    if row is None:
        return DEFAULT_POLICY
    return Policy.from_settings(row.version, row.settings)


def current_days(session: Session) -> int:
    return current(session).contact_status_days


def get_version(session: Session, *, version: int) -> Policy:
    if version == 0:
        return DEFAULT_POLICY
    row = session.get(PolicyVersion, version)
    if row is None:
        raise InvalidInput(
            N_("Policy version %(version)s does not exist."), params={"version": version}
        )
    return Policy.from_settings(row.version, row.settings)


def get_all(session: Session) -> list[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).order_by(PolicyVersion.version.desc())))


def create_version(
    session: Session,
    *,
    changes: dict[str, Any],
    note: str = "",
    created_by: uuid.UUID | None = None,
) -> Policy:
    """Store a new version: the current settings with `changes` applied (unknown keys refused)."""
    base = current(session)
    settings = base.to_settings()
    unknown = sorted(set(changes) - set(settings))
    if unknown:
        raise InvalidInput(
            N_("Unknown policy settings: %(names)s."), params={"names": ", ".join(unknown)}
        )
    settings.update(changes)
    try:
        policy = Policy.from_settings(0, settings)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise InvalidInput(N_("The policy settings are not valid.")) from None
    if policy.infectious_days_before < 0 or policy.max_presence_hours <= 0:
        raise InvalidInput(N_("The policy settings are not valid."))
    if any(v < 0 for v in [*policy.dwell_minutes.values(), *policy.overlap_minutes.values()]):
        raise InvalidInput(N_("The policy settings are not valid."))
    version = (session.scalar(select(func.max(PolicyVersion.version))) or 0) + 1
    session.add(
        PolicyVersion(
            version=version, settings=policy.to_settings(), note=note, created_by=created_by
        )
    )
    session.flush()
    return Policy.from_settings(version, policy.to_settings())
