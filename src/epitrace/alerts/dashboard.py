"""Delivery counts of the outbox: per campaign or per kind of alert, by channel and by ward.

Read straight from the outbox rows (one grouped query), so the dashboard always equals the
rows. The delivery rate is delivered / (all rows that were meant to go out: everything but
skipped and cancelled). Cost is what the channels reported for the rows sent so far.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.alerts import templates
from epitrace.alerts.models import OutboxMessage, Status
from epitrace.places import service as place_service

STATUSES = tuple(s.value for s in Status)
NOT_MEANT = frozenset({Status.SKIPPED.value, Status.CANCELLED.value})
HIDDEN_KINDS = frozenset({"otp", "test"})
FAILURE_STATUSES = (Status.FAILED.value, Status.EXPIRED.value, Status.SKIPPED.value)


@dataclass
class Counts:
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    cost: int = 0

    def add(self, status: str, count: int, cost: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + count
        self.cost += cost

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def meant(self) -> int:
        return sum(n for s, n in self.by_status.items() if s not in NOT_MEANT)

    @property
    def rate(self) -> float | None:
        """Delivered, in percent of the messages meant to go out."""
        meant = self.meant
        return round(100 * self.by_status[Status.DELIVERED.value] / meant, 1) if meant else None


@dataclass
class Failure:
    reason: str
    status: str
    channel: str
    count: int


@dataclass
class Dashboard:
    total: Counts
    by_channel: dict[str, Counts]
    by_ward: list[tuple[str | None, str, Counts]]  # code, name, counts
    failures: list[Failure]


@dataclass(frozen=True)
class Scope:
    """Which rows: a campaign or a kind, since a moment, in some wards (None: all rows)."""

    campaign_id: uuid.UUID | None = None
    kind: str | None = None
    since: datetime | None = None
    ward_paths: Sequence[str | None] | None = None


def _where(scope: Scope) -> list[Any]:
    conditions: list[Any] = []
    if scope.campaign_id is not None:
        conditions.append(OutboxMessage.campaign_id == scope.campaign_id)
    if scope.kind is not None:
        conditions.append(OutboxMessage.kind == scope.kind)
    else:
        conditions.append(OutboxMessage.kind.not_in(HIDDEN_KINDS))
    if scope.since is not None:
        conditions.append(OutboxMessage.created_at >= scope.since)
    if scope.ward_paths is not None:
        conditions.append(place_service.within_areas(OutboxMessage.ward_code, scope.ward_paths))
    return conditions


def build(session: Session, scope: Scope) -> Dashboard:
    stmt = (
        select(
            OutboxMessage.channel,
            OutboxMessage.ward_code,
            OutboxMessage.status,
            func.count(),
            func.coalesce(func.sum(OutboxMessage.cost), 0),
        )
        .where(*_where(scope))
        .group_by(OutboxMessage.channel, OutboxMessage.ward_code, OutboxMessage.status)
    )
    total = Counts()
    by_channel: dict[str, Counts] = {}
    by_ward: dict[str | None, Counts] = {}
    for channel, ward, status, count, cost in session.execute(stmt).all():
        total.add(status, count, int(cost or 0))
        by_channel.setdefault(channel, Counts()).add(status, count, int(cost or 0))
        by_ward.setdefault(ward, Counts()).add(status, count, int(cost or 0))
    names = place_service.names_of(session, codes=[c for c in by_ward if c])
    wards = sorted(
        ((code, names.get(code, code) if code else "", c) for code, c in by_ward.items()),
        key=lambda item: (item[0] is None, item[1]),
    )
    failed = (
        select(
            OutboxMessage.dead_reason,
            OutboxMessage.last_error,
            OutboxMessage.status,
            OutboxMessage.channel,
            func.count(),
        )
        .where(*_where(scope), OutboxMessage.status.in_(FAILURE_STATUSES))
        .group_by(
            OutboxMessage.dead_reason,
            OutboxMessage.last_error,
            OutboxMessage.status,
            OutboxMessage.channel,
        )
    )
    merged: dict[tuple[str, str, str], int] = {}
    for dead, last, status, channel, count in session.execute(failed).all():
        key = (dead or last or "", status, channel)
        merged[key] = merged.get(key, 0) + count
    failures = [Failure(r, s, ch, n) for (r, s, ch), n in merged.items()]
    failures.sort(key=lambda f: -f.count)
    return Dashboard(total, dict(sorted(by_channel.items())), wards, failures)


@dataclass(frozen=True)
class FailedRow:
    phone: str  # masked
    ward: str
    channel: str
    status: str
    reason: str
    at: datetime | None


def failed_rows(session: Session, scope: Scope, *, limit: int = 200) -> list[FailedRow]:
    """The failed, expired and skipped messages, newest first (numbers masked)."""
    stmt = (
        select(OutboxMessage)
        .where(*_where(scope), OutboxMessage.status.in_(FAILURE_STATUSES))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    rows = list(session.scalars(stmt))
    names = place_service.names_of(session, codes=[r.ward_code for r in rows if r.ward_code])
    return [
        FailedRow(
            phone=phone_numbers.mask(r.phone) if r.phone else "",
            ward=names.get(r.ward_code, r.ward_code) if r.ward_code else "",
            channel=r.channel,
            status=r.status,
            reason=r.dead_reason or r.last_error or "",
            at=r.failed_at or r.expired_at or r.created_at,
        )
        for r in rows
    ]


def kinds() -> list[str]:
    """The kinds of alert a dashboard can show (sign-in codes and tests are not)."""
    return sorted({t.kind for t in templates.all_templates()} - HIDDEN_KINDS)
