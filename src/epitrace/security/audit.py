"""The audit helper every service calls when it reads or changes a personal record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from epitrace.db import contains_text
from epitrace.security.models import NAMED_LISTS, AuditEntry, AuditNamedPerson
from epitrace.security.permissions import Principal


@dataclass(frozen=True)
class RequestOrigin:
    ip: str | None
    user_agent: str | None


_origin: ContextVar[RequestOrigin | None] = ContextVar("epitrace_origin", default=None)


def set_origin(origin: RequestOrigin | None) -> None:
    _origin.set(origin)


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    subject_type: str,
    subject_id: object,
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction (so it commits with the change)."""
    origin = _origin.get()
    entry = AuditEntry(
        actor_id=actor.user_id if actor else None,
        actor_label=actor.display_name if actor else "system",
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        purpose=purpose,
        ip=origin.ip if origin else "cli",
        user_agent=(origin.user_agent or "")[:300] if origin else None,
        detail=detail,
    )
    entry.named = [AuditNamedPerson(person_id=p) for p in named_people(detail)]
    session.add(entry)
    return entry


def named_people(detail: dict[str, Any] | None) -> list[uuid.UUID]:
    """The people an entry's detail lists (`ids`, `matched`), once each, in order."""
    found: dict[uuid.UUID, None] = {}
    for key in NAMED_LISTS:
        listed = (detail or {}).get(key)
        if isinstance(listed, list):
            for value in listed:
                try:
                    found[uuid.UUID(str(value))] = None
                except ValueError:
                    continue
    return list(found)


def record_person_read(
    session: Session,
    *,
    actor: Principal | None,
    person_ids: Iterable[object],
    purpose: str,
) -> None:
    """Staff read named people's records (a case page, a list of cases …): one entry each.

    Subject `person` and the person's id, whatever page or route showed the record
    (`purpose` says which): a person's access history (`mydata.service.access_history`)
    finds every such read by that id alone.
    """
    for person_id in dict.fromkeys(person_ids):
        record(
            session,
            actor=actor,
            action="read",
            subject_type="person",
            subject_id=person_id,
            purpose=purpose,
        )


def record_many(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    subject_type: str,
    subject_ids: Sequence[object],
    purpose: str = "",
) -> None:
    for subject_id in subject_ids:
        record(
            session,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=purpose,
        )


def get_all(
    session: Session,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor_label: str | None = None,
    since: datetime | None = None,
    actors: Select[uuid.UUID] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Entries newest first; `actors` (a subquery of account ids) limits them to those accounts.

    An administrator scoped to an area passes the accounts they manage
    (`accounts.service.managed_account_ids`): entries of other areas' staff, of citizens and of
    the system stay with nationwide administrators.
    """
    stmt = select(AuditEntry)
    if actors is not None:
        stmt = stmt.where(AuditEntry.actor_id.in_(actors))
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if actor_label:
        stmt = stmt.where(contains_text(AuditEntry.actor_label, actor_label))
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.at.desc()).limit(limit).offset(offset))
    return list(rows), total
