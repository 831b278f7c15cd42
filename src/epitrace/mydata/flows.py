"""Erasure on request: a citizen's and their dependents' personal data leave every domain.

Honoured at once when nothing still needs the data; otherwise queued with the day it becomes
possible, and the daily job (`mydata.honour_erasures`) honours it then. What holds a request
(docs/privacy.md, "Your rights"):

- an active case, a test without a result, a quarantine order not yet over (health records);
- a contact link (F1/F2) younger than the retention period: a trace still works on it;
- a check-in younger than the retention period: a case found later may still need to be
  traced through it, which is why check-ins are kept that long at all.

Staff cannot hold a request beyond these rules. When it is honoured the account, profile,
declarations, check-ins, feedback (and photo files), exposure reports, contact links,
messages and push subscriptions are deleted; a person named by a kept health record (a
closed case, a test, an order) stays as an empty row. The audit log and the aggregates stay;
the request row keeps only the person's id, dates and counts, as proof.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import service as account_service
from epitrace.alerts import service as alert_service
from epitrace.cases import service as case_service
from epitrace.checkins import service as checkin_service
from epitrace.config import Settings
from epitrace.declarations import service as declaration_service
from epitrace.errors import N_, Conflict, NotFound
from epitrace.exposure import service as exposure_service
from epitrace.feedback import service as feedback_service
from epitrace.mydata.models import ErasureRequest
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.tracing import service as tracing_service

QUEUED = "queued"
DONE = "done"


@dataclass(frozen=True)
class Hold:
    reason: str
    until: datetime | None  # None: not known (a case closes, a result comes in)


def holds(
    session: Session, *, person_ids: Sequence[uuid.UUID], settings: Settings, now: datetime
) -> list[Hold]:
    """What still needs these people's data, each with the moment it stops needing it."""
    window = timedelta(days=settings.retention_days)
    found = [
        Hold(h.reason, h.until)
        for h in case_service.erasure_holds(session, person_ids=person_ids, now=now)
    ]
    exposure_end = tracing_service.latest_exposure_end(session, person_ids=person_ids)
    if exposure_end is not None and exposure_end + window > now:
        found.append(Hold("open_trace", exposure_end + window))
    entered = checkin_service.latest_presence_at(session, person_ids=person_ids)
    if entered is not None and entered + window > now:
        found.append(Hold("recent_checkins", entered + window))
    return found


def possible_on(found: Sequence[Hold]) -> date | None:
    """The local day from which nothing holds the request (None: not known yet)."""
    if any(h.until is None for h in found):
        return None
    latest = max(h.until for h in found if h.until is not None)
    return localtime.local_date(latest) + timedelta(days=1)


def latest_request(session: Session, *, person_id: uuid.UUID) -> ErasureRequest | None:
    return session.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.person_id == person_id)
        .order_by(ErasureRequest.requested_at.desc())
        .limit(1)
    ).first()


def no_request() -> NotFound:
    return NotFound(N_("There is no such erasure request."), code="no_erasure_request")


def get_request(session: Session, *, request_id: uuid.UUID) -> ErasureRequest:
    found = session.get(ErasureRequest, request_id)
    if found is None:
        raise no_request()
    return found


def _erase(
    session: Session, *, person_ids: Sequence[uuid.UUID], settings: Settings
) -> dict[str, int]:
    accounts = account_service.accounts_of(session, person_ids=person_ids)
    people = [account_service.get_person(session, person_id=p) for p in person_ids]
    phones = sorted({p for p in [*(a.phone for a in accounts), *(x.phone for x in people)] if p})
    keep = {p for p in person_ids if case_service.has_health_records(session, person_id=p)}
    counts: dict[str, int] = {}
    for part in (
        declaration_service.erase_people(session, person_ids=person_ids),
        checkin_service.erase_people(session, person_ids=person_ids),
        feedback_service.erase_people(
            session, person_ids=person_ids, uploads_dir=settings.uploads_dir
        ),
        exposure_service.erase_people(session, person_ids=person_ids),
        tracing_service.erase_people(session, person_ids=person_ids),
        alert_service.erase_people(
            session, person_ids=person_ids, user_ids=[a.id for a in accounts], phones=phones
        ),
        # last: every row above pointed at the person or the account
        account_service.erase_people(session, person_ids=person_ids, keep=keep),
    ):
        counts.update({k: v for k, v in part.items() if v})
    return counts


def _honour(
    session: Session, request: ErasureRequest, *, settings: Settings, now: datetime
) -> None:
    people = account_service.people_in_care(session, person_id=request.person_id)
    person_ids = [p.id for p in people]
    request.erased = _erase(session, person_ids=person_ids, settings=settings)
    request.people = len(person_ids)
    request.status = DONE
    request.done_at = now
    request.checked_at = now
    request.possible_on = None
    audit.record(
        session,
        actor=None,
        action="delete",
        subject_type="person",
        subject_id=request.person_id,
        purpose="erasure on request",
        detail={"request": str(request.id), "people": [str(p) for p in person_ids]},
    )
    session.flush()


def request_erasure(
    session: Session,
    *,
    actor: Principal,
    person_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> ErasureRequest:
    """The citizen asks to erase their and their dependents' data: done now, or queued."""
    pending = latest_request(session, person_id=person_id)
    if pending is not None and pending.status == QUEUED:
        raise Conflict(
            N_("Your erasure request is already waiting; it is honoured on the day shown."),
            code="erasure_pending",
        )
    people = account_service.people_in_care(session, person_id=person_id)
    found = holds(session, person_ids=[p.id for p in people], settings=settings, now=now)
    request = ErasureRequest(
        person_id=person_id,
        people=len(people),
        status=QUEUED,
        reasons=sorted({h.reason for h in found}),
        possible_on=possible_on(found) if found else None,
        requested_at=now,
        checked_at=now,
        erased={},
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        subject_type="erasure_request",
        subject_id=request.id,
        purpose="erasure on request",
        detail={"queued": bool(found), "reasons": request.reasons},
    )
    if not found:
        _honour(session, request, settings=settings, now=now)
    return request


def honour_due(session: Session, *, settings: Settings, now: datetime) -> int:
    """The daily job: honour every queued request that nothing holds any more."""
    today = localtime.local_date(now)
    due = session.scalars(
        select(ErasureRequest).where(
            ErasureRequest.status == QUEUED,
            (ErasureRequest.possible_on.is_(None)) | (ErasureRequest.possible_on <= today),
        )
    ).all()
    honoured = 0
    for request in due:
        try:
            people = account_service.people_in_care(session, person_id=request.person_id)
        except NotFound:  # the record went another way (merged away, removed by a guardian)
            request.status, request.done_at, request.checked_at = DONE, now, now
            request.possible_on = None
            continue
        found = holds(session, person_ids=[p.id for p in people], settings=settings, now=now)
        request.checked_at = now
        if found:
            request.reasons = sorted({h.reason for h in found})
            request.possible_on = possible_on(found)
            continue
        _honour(session, request, settings=settings, now=now)
        honoured += 1
    session.flush()
    return honoured
