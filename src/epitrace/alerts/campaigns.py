"""Campaigns: messages DIC officials write to an audience, once or on a repeat rule.

A campaign is prepared (draft), previewed (text for a sample recipient, segments, cost),
launched — a second official approves first when the audience is larger than
`campaign_approval_threshold` — and then its occurrences are queued by the scheduler job,
each exactly once (dedup key `campaign:<id>:<n>`, one message per person per occurrence),
set-based (`alert_service.enqueue_select`). Pause holds its queued messages, resume releases
them, cancel withdraws them. The text lives once here; the workers render the rows with the
campaign renderer registered below. Functions flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    delete,
    distinct,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts.models import Person, UserAccount
from epitrace.alerts import campaign_schedule as schedule
from epitrace.alerts import rendering, sms_text, templates
from epitrace.alerts import service as alert_service
from epitrace.alerts.campaign_schedule import Repeat, Rule
from epitrace.alerts.models import (
    AudienceKind,
    Campaign,
    CampaignOccurrence,
    CampaignPhone,
    CampaignStatus,
    Channel,
    OutboxMessage,
    Status,
)
from epitrace.alerts.templates import Rendered
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import rosters
from epitrace.venues import service as venue_service

TEMPLATE = "campaign"
SAMPLE_NAME = "Nguyễn Văn An"
# a campaign message more than this late is not worth sending any more
LIFETIME = timedelta(days=1)
# a launch may start this much in the past (the form's default is "now")
START_GRACE = timedelta(hours=1)
MAX_NAME = 200
MAX_TEXT = 1000
MAX_UNITS = 50
EARLIEST_START = date(2020, 1, 1)
MAX_AHEAD = timedelta(days=731)

EDITABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.AWAITING_APPROVAL})
ACTIVE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.RUNNING})
OVER = frozenset({CampaignStatus.FINISHED, CampaignStatus.CANCELLED})


@dataclass(frozen=True)
class CampaignIn:
    """What an official writes: checked by `clean` before anything is saved."""

    name: str
    text_vi: str
    text_en: str
    channel: Channel
    area_code: str
    audience_kind: AudienceKind
    audience: tuple[str, ...]  # unit codes or organisation ids
    start: datetime  # local wall clock, naive
    repeat: Repeat = Repeat.NONE
    weekday: int | None = None
    repeat_count: int | None = None
    repeat_until: date | None = None

    def rule(self) -> Rule:
        return Rule(
            start=self.start,
            repeat=self.repeat,
            weekday=self.weekday if self.repeat is Repeat.WEEKLY else None,
            count=self.repeat_count if self.repeat is not Repeat.NONE else None,
            until=self.repeat_until if self.repeat is not Repeat.NONE else None,
        )


def _field(name: str, message: str, **params: Any) -> InvalidInput:
    return InvalidInput(message, params=params, fields={name: message})


def _check_text(text: str, field: str) -> None:
    try:
        templates.check_campaign_text(text)
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, params=exc.params, fields={field: exc.fields["text"]}, code=exc.code
        ) from None


def _check_dates(data: CampaignIn) -> None:
    """Starts between 2020 and two years ahead, ends at most two years after the start."""
    latest = localtime.today() + MAX_AHEAD
    if not EARLIEST_START <= data.start.date() <= latest:
        raise _field("start_date", N_("Choose a start within the next two years."))
    if data.repeat_until is not None and not (
        EARLIEST_START <= data.repeat_until <= data.start.date() + MAX_AHEAD
    ):
        raise _field("repeat_until", N_("Choose a last day within two years of the start."))


def clean(session: Session, data: CampaignIn) -> CampaignIn:
    """Refuse what cannot be launched, field by field; returns the data as stored."""
    name = " ".join(data.name.split())
    if not name:
        raise _field("name", N_("Give the campaign a name."))
    if len(name) > MAX_NAME:
        raise _field("name", N_("The name is too long."))
    text_vi = data.text_vi.strip()
    text_en = data.text_en.strip()
    if not text_vi:
        raise _field("text_vi", N_("Write the message in Vietnamese."))
    for field, text in (("text_vi", text_vi), ("text_en", text_en)):
        if len(text) > MAX_TEXT:
            raise _field(field, N_("The message is longer than %(n)s characters."), n=MAX_TEXT)
        _check_text(text, field)
    area = place_service.get(session, code=data.area_code)
    if area is None:
        raise _field("area_code", N_("Choose the province of the campaign."))
    audience = tuple(dict.fromkeys(a.strip() for a in data.audience if a.strip()))
    if data.audience_kind is AudienceKind.UNITS:
        if not audience:
            raise _field("units", N_("Choose at least one ward or district."))
        if len(audience) > MAX_UNITS:
            raise _field("units", N_("Choose at most %(n)s units."), n=MAX_UNITS)
        for code in audience:
            if not place_service.area_contains(session, area_code=area.code, unit_code=code):
                raise _field(
                    "units",
                    N_("%(unit)s is not in %(area)s."),
                    unit=place_service.name_of(session, code),
                    area=area.name,
                )
    elif data.audience_kind is AudienceKind.ORGANISATIONS:
        if not audience:
            raise _field("organisations", N_("Choose at least one organisation."))
        try:
            ids = [uuid.UUID(a) for a in audience]
        except ValueError:
            raise _field("organisations", N_("Choose organisations from the list.")) from None
        found = venue_service.get_organisations(session, area_paths=[area.path], ids=ids)
        if len(found) != len(ids):
            raise _field("organisations", N_("Choose organisations of %(area)s."), area=area.name)
        audience = tuple(str(i) for i in ids)
    else:
        audience = ()
    _check_dates(data)
    data.rule().check()
    return CampaignIn(
        name=name,
        text_vi=text_vi,
        text_en=text_en,
        channel=data.channel,
        area_code=area.code,
        audience_kind=data.audience_kind,
        audience=audience,
        start=data.start.replace(second=0, microsecond=0),
        repeat=data.repeat,
        weekday=data.rule().weekday,
        repeat_count=data.rule().count,
        repeat_until=data.rule().until,
    )


def _apply(campaign: Campaign, data: CampaignIn) -> None:
    campaign.name = data.name
    campaign.text_vi = data.text_vi
    campaign.text_en = data.text_en
    campaign.channel = data.channel.value
    campaign.area_code = data.area_code
    campaign.audience_kind = data.audience_kind.value
    campaign.audience = list(data.audience)
    campaign.starts_at = schedule.utc_times(Rule(start=data.start))[0]
    campaign.repeat = data.repeat.value
    campaign.weekday = data.weekday
    campaign.repeat_count = data.repeat_count
    campaign.repeat_until = data.repeat_until


def create(session: Session, *, data: CampaignIn, created_by: uuid.UUID) -> Campaign:
    data = clean(session, data)
    campaign = Campaign(created_by=created_by, status=CampaignStatus.DRAFT.value)
    _apply(campaign, data)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, *, campaign: Campaign, data: CampaignIn) -> Campaign:
    """Change a draft (or a campaign awaiting approval, which goes back to draft)."""
    if CampaignStatus(campaign.status) not in EDITABLE:
        raise Conflict(N_("A launched campaign cannot be changed; cancel it and start a new one."))
    data = clean(session, data)
    if data.audience_kind is not AudienceKind(campaign.audience_kind) or (
        data.area_code != campaign.area_code
    ):
        session.execute(delete(CampaignPhone).where(CampaignPhone.campaign_id == campaign.id))
    _apply(campaign, data)
    campaign.status = CampaignStatus.DRAFT.value
    campaign.approved_by = None
    campaign.approved_at = None
    campaign.launched_by = None
    campaign.launched_at = None
    session.flush()
    return campaign


def get(session: Session, *, campaign_id: uuid.UUID, for_update: bool = False) -> Campaign:
    """A campaign; `for_update` locks its row (PostgreSQL) for a change of status, so that two
    officials acting at once act one after the other."""
    campaign = session.get(Campaign, campaign_id, with_for_update=for_update)
    if campaign is None:
        raise NotFound(N_("This campaign does not exist."))
    return campaign


def get_all(
    session: Session, *, area_paths: Sequence[str | None], limit: int = 200
) -> list[Campaign]:
    """Campaigns of the areas an official manages, newest first."""
    stmt = (
        select(Campaign)
        .where(place_service.within_areas(Campaign.area_code, area_paths))
        .order_by(Campaign.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def rule_of(campaign: Campaign) -> Rule:
    return Rule(
        start=schedule.as_local(campaign.starts_at),
        repeat=Repeat(campaign.repeat),
        weekday=campaign.weekday,
        count=campaign.repeat_count,
        until=campaign.repeat_until,
    )


def as_input(campaign: Campaign) -> CampaignIn:
    rule = rule_of(campaign)
    return CampaignIn(
        name=campaign.name,
        text_vi=campaign.text_vi,
        text_en=campaign.text_en,
        channel=Channel(campaign.channel),
        area_code=campaign.area_code,
        audience_kind=AudienceKind(campaign.audience_kind),
        audience=tuple(campaign.audience or ()),
        start=rule.start,
        repeat=rule.repeat,
        weekday=rule.weekday,
        repeat_count=rule.count,
        repeat_until=rule.until,
    )


# -- the audience ---------------------------------------------------------------------------


def _hex(column: Any) -> ColumnElement[str]:
    """A uuid column as the 32 hex digits of `uuid.hex` (PostgreSQL prints it with dashes)."""
    return func.replace(cast(column, String), "-", "")


def _json_params(session: Session, name: Any, ward: Any) -> Any:
    build = (
        func.json_build_object
        if session.get_bind().dialect.name == "postgresql"
        else func.json_object
    )
    return build(
        literal("name"), func.coalesce(name, literal("")), literal("ward"), func.coalesce(ward, "")
    )


def _citizens(session: Session, paths: Sequence[str | None]) -> Any:
    """Registered citizens (an active citizen account) living in these areas."""
    return (
        select(
            (literal("p:") + _hex(Person.id)).label("recipient_key"),
            Person.id.label("person_id"),
            UserAccount.id.label("user_id"),
            func.coalesce(Person.phone, UserAccount.phone).label("phone"),
            Person.ward_code.label("ward_code"),
            UserAccount.locale.label("locale"),
            _json_params(session, Person.full_name, AdminUnit.name).label("params"),
        )
        .select_from(UserAccount)
        .join(Person, Person.id == UserAccount.person_id)
        .outerjoin(AdminUnit, AdminUnit.code == Person.ward_code)
        .where(
            UserAccount.kind == "citizen",
            UserAccount.is_active.is_(True),
            Person.merged_into_id.is_(None),
            place_service.within_areas(Person.ward_code, paths),
        )
    )


def _by_phone(session: Session, numbers: Any) -> Any:
    """Recipients of bare numbers (`numbers` has phone, full_name, ward_code): the person of
    an account with that number when there is one, as `enqueue` reaches a phone number."""
    account = UserAccount.__table__.alias("acct")
    person = Person.__table__.alias("owner")
    ward = func.coalesce(person.c.ward_code, numbers.c.ward_code)
    unit = AdminUnit.__table__.alias("ward_unit")
    return (
        select(
            case(
                (account.c.person_id.is_not(None), literal("p:") + _hex(account.c.person_id)),
                else_=literal("t:") + numbers.c.phone,
            ).label("recipient_key"),
            account.c.person_id.label("person_id"),
            account.c.id.label("user_id"),
            numbers.c.phone.label("phone"),
            ward.label("ward_code"),
            account.c.locale.label("locale"),
            _json_params(session, numbers.c.full_name, unit.c.name).label("params"),
        )
        .select_from(numbers)
        .outerjoin(
            account,
            (account.c.phone == numbers.c.phone) & account.c.is_active.is_(True),
        )
        .outerjoin(person, person.c.id == account.c.person_id)
        .outerjoin(unit, unit.c.code == ward)
    )


def audience_select(session: Session, campaign: Campaign) -> Any:
    """One row per recipient (columns of `alert_service.SELECT_COLUMNS`); a person may appear
    twice (two rosters), the outbox keeps one message per person and occurrence."""
    kind = AudienceKind(campaign.audience_kind)
    if kind is AudienceKind.UNITS:
        paths = [place_service.path_of(session, code=c) for c in campaign.audience]
        return _citizens(session, [p for p in paths if p is not None] or ["-"])
    if kind is AudienceKind.PROVINCE:
        return _citizens(session, [place_service.path_of(session, code=campaign.area_code)])
    if kind is AudienceKind.ORGANISATIONS:
        ids = [uuid.UUID(a) for a in campaign.audience]
        return _by_phone(session, rosters.members_of(ids).subquery("numbers"))
    numbers = (
        select(
            CampaignPhone.phone.label("phone"),
            literal("").label("full_name"),
            cast(literal(None), String).label("ward_code"),
        )
        .where(CampaignPhone.campaign_id == campaign.id)
        .subquery("numbers")
    )
    return _by_phone(session, numbers)


def audience_count(session: Session, campaign: Campaign) -> int:
    """How many people the campaign reaches (each person once)."""
    src = audience_select(session, campaign).subquery()
    return session.scalar(select(func.count(distinct(src.c.recipient_key)))) or 0


def phone_count(session: Session, *, campaign_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(CampaignPhone.campaign_id == campaign_id)
    return session.scalar(stmt) or 0


def store_phones(session: Session, *, campaign: Campaign, numbers: Sequence[str]) -> int:
    """Replace the campaign's uploaded list with these numbers (canonical, checked again)."""
    if CampaignStatus(campaign.status) not in EDITABLE:
        raise Conflict(N_("A launched campaign cannot be changed; cancel it and start a new one."))
    if AudienceKind(campaign.audience_kind) is not AudienceKind.PHONES:
        raise InvalidInput(N_("This campaign's audience is not an uploaded list."))
    clean_numbers = list(dict.fromkeys(numbers))
    for number in clean_numbers:
        if phone_numbers.normalise(number) != number:
            raise InvalidInput(N_("The list holds a number that is not in the stored form."))
    session.execute(delete(CampaignPhone).where(CampaignPhone.campaign_id == campaign.id))
    for start in range(0, len(clean_numbers), 5000):
        chunk = clean_numbers[start : start + 5000]
        session.execute(
            insert(CampaignPhone),
            [{"campaign_id": campaign.id, "phone": n} for n in chunk],
        )
    campaign.status = CampaignStatus.DRAFT.value
    campaign.approved_by = None
    campaign.approved_at = None
    session.flush()
    return len(clean_numbers)


# -- preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextPreview:
    locale: str
    text: str
    characters: int
    segments: int
    cost: int  # đồng per message


@dataclass(frozen=True)
class Preview:
    texts: list[TextPreview]
    audience: int
    cost_per_message: int  # the Vietnamese text's
    total_cost: int  # per occurrence
    occurrences: int
    total_cost_all: int  # every occurrence
    needs_approval: bool
    due: list[datetime]  # the occurrences (UTC), at most the first 20


def _sample_ward(session: Session, campaign: Campaign) -> str:
    if AudienceKind(campaign.audience_kind) is AudienceKind.UNITS and campaign.audience:
        return place_service.name_of(session, campaign.audience[0])
    return place_service.name_of(session, campaign.area_code)


def render_text(
    campaign: Campaign, locale: str, values: Mapping[str, str], *, base_url: str, brand: str
) -> str:
    text = campaign.text_vi if locale == "vi" or not campaign.text_en else campaign.text_en
    return templates.render_campaign_text(
        text, {"link": base_url, "brand": brand, **{k: v for k, v in values.items() if v}}
    )


def message_cost(channel: Channel, text: str, settings: Settings) -> tuple[int, int]:
    """(segments, đồng) of one message on the campaign's channel."""
    if channel is Channel.SMS:
        return sms_text.estimate(
            text, ucs2=settings.smpp_ucs2, price_per_segment=settings.sms_price_per_segment
        )
    if channel is Channel.OTT:
        return 1, settings.ott_price_per_message
    return 1, 0


def preview(session: Session, *, campaign: Campaign, settings: Settings) -> Preview:
    """The text for a sample recipient in each language, its size and cost, the audience."""
    values = {"name": SAMPLE_NAME, "ward": _sample_ward(session, campaign)}
    texts = []
    for locale in ("vi", "en"):
        if locale == "en" and not campaign.text_en:
            continue
        text = render_text(
            campaign, locale, values, base_url=settings.base_url, brand=settings.alerts_brand
        )
        segments, cost = message_cost(Channel(campaign.channel), text, settings)
        texts.append(TextPreview(locale, text, len(text), segments, cost))
    count = audience_count(session, campaign)
    due = schedule.utc_times(rule_of(campaign))
    per_message = texts[0].cost
    return Preview(
        texts=texts,
        audience=count,
        cost_per_message=per_message,
        total_cost=count * per_message,
        occurrences=len(due),
        total_cost_all=count * per_message * len(due),
        needs_approval=count > settings.campaign_approval_threshold,
        due=due[:20],
    )


# -- launch, approval, pause ----------------------------------------------------------------


def _occurrences(session: Session, campaign: Campaign, now: datetime) -> None:
    due = schedule.utc_times(rule_of(campaign))
    if due[-1] < now - START_GRACE:
        raise InvalidInput(
            N_("Every time of this campaign has passed; change the start and launch again."),
            fields={"start_date": N_("Choose a start in the future.")},
        )
    if due[0] < now - START_GRACE:
        raise InvalidInput(
            N_("The start has passed; change the start and launch again."),
            fields={"start_date": N_("Choose a start in the future.")},
        )
    session.execute(delete(CampaignOccurrence).where(CampaignOccurrence.campaign_id == campaign.id))
    session.add_all(
        CampaignOccurrence(campaign_id=campaign.id, number=n, due_at=moment)
        for n, moment in enumerate(due, start=1)
    )


def launch(
    session: Session,
    *,
    campaign: Campaign,
    by: uuid.UUID,
    settings: Settings,
    now: datetime | None = None,
) -> Campaign:
    """Launch a draft: scheduled at once when small enough or already approved, else it waits
    for a second official (`approve`). Occurrences already due are queued now."""
    now = now or utcnow()
    if CampaignStatus(campaign.status) is not CampaignStatus.DRAFT:
        raise Conflict(N_("Only a draft can be launched."))
    _check_text(campaign.text_vi, "text_vi")
    _check_text(campaign.text_en, "text_en")
    count = audience_count(session, campaign)
    if count == 0:
        raise InvalidInput(N_("The audience is empty: nobody would receive this campaign."))
    schedule.utc_times(rule_of(campaign))  # the rule is still valid
    campaign.audience_count = count
    campaign.launched_by = by
    campaign.launched_at = now
    if count > settings.campaign_approval_threshold and campaign.approved_by is None:
        campaign.status = CampaignStatus.AWAITING_APPROVAL.value
        session.flush()
        return campaign
    _occurrences(session, campaign, now)
    campaign.status = CampaignStatus.SCHEDULED.value
    session.flush()
    run_due(session, now=now, campaign_id=campaign.id)
    return campaign


def approve(
    session: Session, *, campaign: Campaign, by: uuid.UUID, now: datetime | None = None
) -> Campaign:
    """The second official's approval (four eyes): never the one who prepared or launched it."""
    now = now or utcnow()
    if CampaignStatus(campaign.status) is not CampaignStatus.AWAITING_APPROVAL:
        raise Conflict(N_("Only a campaign awaiting approval can be approved."))
    if by in (campaign.created_by, campaign.launched_by):
        raise Forbidden(N_("Another official must approve a campaign you prepared or launched."))
    _occurrences(session, campaign, now)
    campaign.approved_by = by
    campaign.approved_at = now
    campaign.status = CampaignStatus.SCHEDULED.value
    session.flush()
    run_due(session, now=now, campaign_id=campaign.id)
    return campaign


def _set_rows(session: Session, campaign: Campaign, before: Status, after: Status) -> int:
    values: dict[str, Any] = {"status": after.value}
    if after is Status.CANCELLED:
        values |= {"dead_reason": "cancelled", "failed_at": utcnow()}
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.campaign_id == campaign.id, OutboxMessage.status == before.value)
        .values(**values)
    )
    return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]


def pause(session: Session, *, campaign: Campaign) -> int:
    """Hold the queued messages; no occurrence is queued until `resume`. Returns rows held."""
    if CampaignStatus(campaign.status) not in ACTIVE:
        raise Conflict(N_("Only a scheduled or running campaign can be paused."))
    held = _set_rows(session, campaign, Status.QUEUED, Status.HELD)
    campaign.status = CampaignStatus.PAUSED.value
    session.flush()
    return held


def _any_enqueued(session: Session, campaign_id: uuid.UUID) -> bool:
    stmt = select(CampaignOccurrence.id).where(
        CampaignOccurrence.campaign_id == campaign_id, CampaignOccurrence.enqueued_at.is_not(None)
    )
    return session.scalars(stmt.limit(1)).first() is not None


def resume(session: Session, *, campaign: Campaign, now: datetime | None = None) -> int:
    """Release the held messages; occurrences that fell due meanwhile are queued now."""
    if CampaignStatus(campaign.status) is not CampaignStatus.PAUSED:
        raise Conflict(N_("Only a paused campaign can be resumed."))
    released = _set_rows(session, campaign, Status.HELD, Status.QUEUED)
    running = _any_enqueued(session, campaign.id)
    campaign.status = (CampaignStatus.RUNNING if running else CampaignStatus.SCHEDULED).value
    session.flush()
    run_due(session, now=now or utcnow(), campaign_id=campaign.id)
    return released


def cancel(session: Session, *, campaign: Campaign) -> int:
    """Stop for good: messages not yet handed to a channel are withdrawn."""
    if CampaignStatus(campaign.status) in OVER:
        raise Conflict(N_("This campaign is already over."))
    withdrawn = _set_rows(session, campaign, Status.QUEUED, Status.CANCELLED)
    withdrawn += _set_rows(session, campaign, Status.HELD, Status.CANCELLED)
    campaign.status = CampaignStatus.CANCELLED.value
    session.flush()
    return withdrawn


# -- the scheduler ----------------------------------------------------------------------------


def dedup_key(campaign_id: uuid.UUID, number: int) -> str:
    return f"campaign:{campaign_id}:{number}"


def run_due(session: Session, *, now: datetime, campaign_id: uuid.UUID | None = None) -> int:
    """Queue every due occurrence of the scheduled and running campaigns, each exactly once
    (the occurrence is marked in the same transaction, and the dedup key protects the rest).
    Returns the number of occurrences queued."""
    stmt = (
        select(CampaignOccurrence, Campaign)
        .join(Campaign, Campaign.id == CampaignOccurrence.campaign_id)
        .where(
            CampaignOccurrence.enqueued_at.is_(None),
            CampaignOccurrence.due_at <= now,
            Campaign.status.in_([s.value for s in ACTIVE]),
        )
        .order_by(CampaignOccurrence.due_at, CampaignOccurrence.number)
        .with_for_update(of=CampaignOccurrence, skip_locked=True)
    )
    if campaign_id is not None:
        stmt = stmt.where(Campaign.id == campaign_id)
    done = 0
    touched: dict[uuid.UUID, Campaign] = {}
    for occurrence, campaign in session.execute(stmt).all():
        written = alert_service.enqueue_select(
            session,
            source=audience_select(session, campaign),
            template=TEMPLATE,
            dedup_key=dedup_key(campaign.id, occurrence.number),
            channel=Channel(campaign.channel),
            not_before=occurrence.due_at,
            expires_at=max(occurrence.due_at, now) + LIFETIME,
            campaign_id=campaign.id,
            now=now,
        )
        occurrence.enqueued_at = now
        occurrence.recipients = written
        touched[campaign.id] = campaign
        done += 1
    for campaign in touched.values():
        pending = session.scalar(
            select(func.count()).where(
                CampaignOccurrence.campaign_id == campaign.id,
                CampaignOccurrence.enqueued_at.is_(None),
            )
        )
        campaign.status = (CampaignStatus.RUNNING if pending else CampaignStatus.FINISHED).value
    session.flush()
    return done


def occurrences(session: Session, *, campaign_id: uuid.UUID) -> list[CampaignOccurrence]:
    stmt = (
        select(CampaignOccurrence)
        .where(CampaignOccurrence.campaign_id == campaign_id)
        .order_by(CampaignOccurrence.number)
    )
    return list(session.scalars(stmt))


# -- rendering for the workers ----------------------------------------------------------------


def _renderer(
    session: Session, rows: Sequence[OutboxMessage], base_url: str, brand: str
) -> dict[int, Rendered]:
    ids = {r.campaign_id for r in rows if r.campaign_id}
    found = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(ids)))}
    out: dict[int, Rendered] = {}
    fallback = templates.get(TEMPLATE)
    for row in rows:
        campaign = found.get(row.campaign_id) if row.campaign_id else None
        if campaign is None:
            out[row.id] = templates.render(
                fallback, None, locale_code=row.locale, base_url=base_url, brand=brand
            )
            continue
        values = {str(k): str(v) for k, v in (row.params or {}).items()}
        text = render_text(campaign, row.locale, values, base_url=base_url, brand=brand)
        out[row.id] = Rendered(title=campaign.name, body=text, sms=text, link=None, url=None)
    return out


rendering.register_renderer(TEMPLATE, _renderer)
