"""Ad-hoc requests (báo cáo đột xuất): a few questions the DIC or the province sends to chosen
units of its area with a deadline; each unit answers (and may change its answer) until the
deadline; the issuer sees who has answered and reminds the others (docs/rollout.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import reports
from epitrace.rollout.models import AdhocAnswer, AdhocRecipient, AdhocRequest
from epitrace.security.roles import Role

MAX_TITLE = 200
MAX_QUESTIONS = 10
MAX_QUESTION = 300
MAX_ANSWER = 2000
MAX_RECIPIENTS = 5000
MAX_AHEAD = timedelta(days=366)
ALL_DISTRICTS = "districts"
ALL_WARDS = "wards"
REQUEST_TEMPLATE = "adhoc_request"
REMINDER_TEMPLATE = "adhoc_reminder"


def answer_url(request_id: uuid.UUID, unit_code: str) -> str:
    return f"/rollout/adhoc/{request_id}/{unit_code}"


def deadline_from(value: datetime) -> datetime:
    """A deadline as typed: a local wall-clock time unless it carries a time zone."""
    if not 2000 <= value.year <= 2200:
        raise InvalidInput(
            N_("The deadline must be in the future, within a year."),
            fields={"deadline": N_("A date and time after now.")},
        )
    if value.tzinfo is None:
        return localtime.at_local(value.date(), value.time().replace(tzinfo=None))
    return value.astimezone(UTC)


# -- creating -----------------------------------------------------------------------------


def _questions(values: Sequence[str]) -> list[str]:
    questions = [" ".join(v.split()) for v in values if v and v.strip()]
    if not 1 <= len(questions) <= MAX_QUESTIONS or any(len(q) > MAX_QUESTION for q in questions):
        raise InvalidInput(
            N_("Ask from 1 to %(max)s questions of at most %(length)s characters each."),
            params={"max": MAX_QUESTIONS, "length": MAX_QUESTION},
            fields={"questions": N_("From 1 to 10 questions, each at most 300 characters.")},
        )
    return questions


def _recipients(
    session: Session, *, area: reports.Unit, unit_codes: Sequence[str], all_of: str | None
) -> list[reports.Unit]:
    """The chosen units (inside the area), and every district or ward of the area."""
    units = reports.units_in(session, area_path=area.path)
    by_code = {u.code: u for u in units}
    chosen: dict[str, reports.Unit] = {}
    if all_of in (ALL_DISTRICTS, ALL_WARDS):
        tier = reports.DISTRICT if all_of == ALL_DISTRICTS else reports.WARD
        chosen.update((u.code, u) for u in units if u.tier == tier)
    elif all_of:
        raise InvalidInput(
            N_("Choose all districts or all wards of the area, or units by name."),
            fields={"all_of": N_("Either districts or wards.")},
        )
    for code in unit_codes:
        unit = by_code.get(code)
        if unit is None:
            raise InvalidInput(
                N_("%(code)s is not a unit of the area %(area)s."),
                params={"code": code[:16], "area": area.name},
                fields={"units": N_("Choose units inside your area.")},
            )
        chosen[code] = unit
    if not chosen or len(chosen) > MAX_RECIPIENTS:
        raise InvalidInput(
            N_("Choose the units that must answer."),
            fields={"units": N_("At least one unit.")},
        )
    return sorted(chosen.values(), key=lambda u: u.path)


def create(
    session: Session,
    *,
    title: str,
    questions: Sequence[str],
    area: reports.Unit,
    deadline: datetime,
    unit_codes: Sequence[str] = (),
    all_of: str | None = None,
    created_by: uuid.UUID | None,
    now: datetime | None = None,
) -> AdhocRequest:
    """Store a request and notify the staff of every recipient unit in their inbox."""
    moment = now or utcnow()
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(
            N_("Give the request a title of at most 200 characters."),
            fields={"title": N_("Required, at most 200 characters.")},
        )
    cleaned = _questions(questions)
    if not moment < deadline <= moment + MAX_AHEAD:
        raise InvalidInput(
            N_("The deadline must be in the future, within a year."),
            fields={"deadline": N_("A date and time after now.")},
        )
    units = _recipients(session, area=area, unit_codes=unit_codes, all_of=all_of)
    request = AdhocRequest(
        title=title,
        questions=cleaned,
        area_code=area.code,
        deadline=deadline,
        created_by=created_by,
    )
    session.add(request)
    session.flush()
    session.add_all(AdhocRecipient(request_id=request.id, unit_code=u.code) for u in units)
    session.flush()
    notify(session, request=request, units=units, template=REQUEST_TEMPLATE, now=moment)
    return request


def get(session: Session, *, request_id: uuid.UUID) -> AdhocRequest:
    request = session.get(AdhocRequest, request_id)
    if request is None:
        raise NotFound(N_("This ad-hoc request does not exist."))
    return request


def is_closed(request: AdhocRequest, *, now: datetime | None = None) -> bool:
    return (now or utcnow()) > request.deadline


def recipient_codes(session: Session, *, request_id: uuid.UUID) -> list[str]:
    stmt = select(AdhocRecipient.unit_code).where(AdhocRecipient.request_id == request_id)
    return list(session.scalars(stmt))


def check_recipient(session: Session, request: AdhocRequest, unit_code: str) -> None:
    """The unit must be one the request asked (404 otherwise: the request is not its own)."""
    stmt = select(AdhocRecipient.id).where(
        AdhocRecipient.request_id == request.id, AdhocRecipient.unit_code == unit_code
    )
    if session.scalar(stmt) is None:
        raise NotFound(N_("This unit was not asked to answer this request."))


def issued_in(session: Session, *, area_paths: Sequence[str | None]) -> list[AdhocRequest]:
    """Requests whose issuing area is inside one of the areas, newest first."""
    if not area_paths:
        return []
    stmt = (
        select(AdhocRequest)
        .join(AdminUnit, AdminUnit.code == AdhocRequest.area_code)
        .where(place_service.within_areas(AdminUnit.path, list(area_paths)))
        .order_by(AdhocRequest.created_at.desc())
        .limit(200)
    )
    return list(session.scalars(stmt))


def addressed_to(session: Session, *, unit_codes: Sequence[str]) -> list[tuple[AdhocRequest, str]]:
    """(request, unit) pairs asked of these units, newest first."""
    if not unit_codes:
        return []
    stmt = (
        select(AdhocRequest, AdhocRecipient.unit_code)
        .join(AdhocRecipient, AdhocRecipient.request_id == AdhocRequest.id)
        .where(AdhocRecipient.unit_code.in_(list(unit_codes)))
        .order_by(AdhocRequest.created_at.desc())
        .limit(200)
    )
    return [(r, code) for r, code in session.execute(stmt)]


# -- answering ----------------------------------------------------------------------------


def get_answer(session: Session, *, request_id: uuid.UUID, unit_code: str) -> AdhocAnswer | None:
    stmt = select(AdhocAnswer).where(
        AdhocAnswer.request_id == request_id, AdhocAnswer.unit_code == unit_code
    )
    return session.scalar(stmt)


def answer(
    session: Session,
    *,
    request: AdhocRequest,
    unit_code: str,
    answers: Sequence[str],
    actor: reports.Actor,
    now: datetime | None = None,
) -> AdhocAnswer:
    """Keep a unit's answers (replacing earlier ones) until the deadline."""
    check_recipient(session, request, unit_code)
    moment = now or utcnow()
    if is_closed(request, now=moment):
        raise Conflict(
            N_("The deadline of this request has passed; answers can no longer be changed."),
            code="adhoc_closed",
        )
    texts = [(a or "").strip() for a in answers]
    if len(texts) != len(request.questions) or any(len(t) > MAX_ANSWER for t in texts):
        raise InvalidInput(
            N_("Answer each of the %(count)s questions in at most %(max)s characters."),
            params={"count": len(request.questions), "max": MAX_ANSWER},
            fields={"answers": N_("One answer per question, at most 2000 characters each.")},
        )
    if not any(texts):
        raise InvalidInput(
            N_("Answer at least one question."),
            fields={"answers": N_("At least one answer.")},
        )
    row = get_answer(session, request_id=request.id, unit_code=unit_code)
    if row is None:
        row = AdhocAnswer(request_id=request.id, unit_code=unit_code, answers=texts)
        try:
            with session.begin_nested():
                session.add(row)
                _fill(row, texts, actor, moment)
        except IntegrityError:
            # another request stored the first answer: this one replaces it
            existing = get_answer(session, request_id=request.id, unit_code=unit_code)
            if existing is None:  # pragma: no cover - the unique key names the same row
                raise
            row = existing
    _fill(row, texts, actor, moment)
    session.flush()
    return row


def _fill(row: AdhocAnswer, texts: list[str], actor: reports.Actor, moment: datetime) -> None:
    row.answers = list(texts)
    row.answered_by = actor.user_id
    row.answered_label = actor.label[:200]
    row.answered_at = moment


# -- the issuer's view --------------------------------------------------------------------


@dataclass
class RecipientStatus:
    code: str
    name: str
    answered: bool
    overdue: bool  # not answered and the deadline has passed
    answered_at: datetime | None = None
    answered_by: str = ""
    answers: list[str] = field(default_factory=list)


@dataclass
class Overview:
    request: AdhocRequest
    area_name: str
    closed: bool
    rows: list[RecipientStatus]

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.answered)

    @property
    def missing(self) -> list[RecipientStatus]:
        return [r for r in self.rows if not r.answered]


def overview(session: Session, *, request: AdhocRequest, now: datetime | None = None) -> Overview:
    """Per recipient unit: answered or not (overdue after the deadline), and the answers."""
    closed = is_closed(request, now=now)
    codes = recipient_codes(session, request_id=request.id)
    names = place_service.names_of(session, codes=codes)
    answers = {
        a.unit_code: a
        for a in session.scalars(select(AdhocAnswer).where(AdhocAnswer.request_id == request.id))
    }
    rows = []
    for code in sorted(codes, key=lambda c: (names.get(c, c), c)):
        found = answers.get(code)
        rows.append(
            RecipientStatus(
                code=code,
                name=names.get(code, code),
                answered=found is not None,
                overdue=found is None and closed,
                answered_at=found.answered_at if found else None,
                answered_by=found.answered_label if found else "",
                answers=list(found.answers) if found else [],
            )
        )
    area = place_service.name_of(session, request.area_code)
    return Overview(request=request, area_name=area, closed=closed, rows=rows)


# -- notices ------------------------------------------------------------------------------


def notify(
    session: Session,
    *,
    request: AdhocRequest,
    units: Sequence[reports.Unit] | Sequence[RecipientStatus],
    template: str,
    now: datetime | None = None,
) -> reports.Reminded:
    """One in-app notice to the staff of each unit (a reminder at most once a unit a day)."""
    moment = now or utcnow()
    due = localtime.to_local(request.deadline).strftime("%H:%M %d/%m/%Y")
    result = reports.Reminded()
    roles = [Role(r) for r in reports.WRITER_ROLES]
    for unit in units:
        recipients = alert_service.staff_of(session, area_code=unit.code, roles=roles)
        if not recipients:
            result.without_staff.append(unit.code)
            continue
        result.units += 1
        key = f"adhoc:{request.id.hex}:{unit.code}"
        if template == REMINDER_TEMPLATE:
            key += f":{localtime.today(moment)}"
        sent = alert_service.enqueue(
            session,
            recipients=recipients,
            template=template,
            dedup_key=key,
            params={
                "title": request.title,
                "unit": unit.name,
                "due": due,
                "link": answer_url(request.id, unit.code),
            },
            channels=(Channel.INBOX,),
            now=moment,
        )
        result.recipients += sent.created
        result.duplicates += sent.duplicates
    return result


def remind(
    session: Session, *, request: AdhocRequest, now: datetime | None = None
) -> reports.Reminded:
    """Remind the units that have not answered (before the deadline only)."""
    moment = now or utcnow()
    view = overview(session, request=request, now=moment)
    if view.closed:
        raise Conflict(
            N_("The deadline of this request has passed; there is nobody left to remind."),
            code="adhoc_closed",
        )
    return notify(session, request=request, units=view.missing, template=REMINDER_TEMPLATE)
