"""Alerts: the one `enqueue` every domain calls, the inbox, and each account's contact settings.

`enqueue` writes outbox rows in the caller's transaction (so the message exists exactly when
the event that caused it does); workers send them later (`alerts.dispatch`). Functions
flush, never commit.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts.models import Person, RoleGrant, UserAccount
from epitrace.alerts import rendering, templates
from epitrace.alerts.models import (
    DEFAULT_REMINDER_WINDOW,
    CampaignPhone,
    Channel,
    ContactSetting,
    InboundSms,
    OutboxMessage,
    PushSubscription,
    SmsOptOut,
    Status,
)
from epitrace.db import affected, utcnow
from epitrace.errors import N_, InvalidInput, NotFound
from epitrace.security.roles import Role

DEFAULT_LIFETIME = timedelta(days=3)
PHONE_CHANNELS = frozenset({Channel.SMS, Channel.OTT})
# After a push, these may take over when nobody acknowledged it in time.
FALLBACK_CHANNELS = frozenset({Channel.SMS, Channel.OTT})
MAX_GROUP_KEY = 120


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: a person, an account, a bare phone number or an e-mail address.

    A person reaches their account's inbox and devices and their phone; a dependent without a
    phone is reached through their guardian.
    """

    person_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    phone: str | None = None
    email: str | None = None

    @classmethod
    def person(cls, person_id: uuid.UUID) -> Recipient:
        return cls(person_id=person_id)

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Recipient:
        return cls(user_id=user_id)

    @classmethod
    def phone_number(cls, phone: str) -> Recipient:
        return cls(phone=phone_numbers.normalise(phone))

    @classmethod
    def email_address(cls, email: str) -> Recipient:
        return cls(email=email.strip())


@dataclass
class EnqueueResult:
    created: int = 0
    duplicates: int = 0  # already queued under the same dedup key: not queued again
    skipped: int = 0  # no usable address or opted out: recorded as skipped, never sent
    keys: list[uuid.UUID] = field(default_factory=list)


@dataclass
class _Address:
    recipient_key: str
    person_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    phone: str | None = None
    email: str | None = None
    ward_code: str | None = None
    locale: str = "vi"
    sms_enabled: bool = True
    push_enabled: bool = True
    has_push: bool = False
    opted_out: bool = False
    window: tuple[time, time] = DEFAULT_REMINDER_WINDOW


def _usable(channel: Channel, address: _Address, *, ignore_opt_out: bool) -> bool:
    if channel in PHONE_CHANNELS:
        blocked = address.opted_out or not address.sms_enabled
        return bool(address.phone) and (ignore_opt_out or not blocked)
    if channel is Channel.PUSH:
        return address.has_push and address.push_enabled
    if channel is Channel.EMAIL:
        return bool(address.email)
    return address.user_id is not None  # inbox


def _choose(
    address: _Address, channels: Sequence[Channel], *, ignore_opt_out: bool
) -> tuple[Channel | None, Channel | None, str | None]:
    """(channel, fallback, reason skipped) for one address and the caller's preference."""
    usable = [c for c in channels if _usable(c, address, ignore_opt_out=ignore_opt_out)]
    blocked_phone = address.opted_out or not address.sms_enabled
    if not usable:
        if address.user_id is not None:
            return Channel.INBOX, None, None
        if address.phone and blocked_phone:
            return None, None, "opted out"
        return None, None, "no address for the chosen channels"
    primary = usable[0]
    fallback = None
    if primary is Channel.PUSH:
        fallback = next((c for c in usable[1:] if c in FALLBACK_CHANNELS), None)
    return primary, fallback, None


def _resolve(session: Session, recipients: Iterable[Recipient]) -> list[_Address]:
    """Addresses for recipients, in a handful of queries whatever their number."""
    wanted = list(recipients)
    person_ids = {r.person_id for r in wanted if r.person_id}
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    guardian_ids = {p.guardian_id for p in persons.values() if p.guardian_id and not p.phone}
    persons.update(
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(guardian_ids)))}
    )
    user_ids = {r.user_id for r in wanted if r.user_id}
    phones = {r.phone for r in wanted if r.phone}
    accounts = list(
        session.scalars(
            select(UserAccount).where(
                UserAccount.is_active.is_(True),
                UserAccount.id.in_(user_ids)
                | UserAccount.person_id.in_(set(persons))
                | UserAccount.phone.in_(phones),
            )
        )
    )
    by_id = {a.id: a for a in accounts}
    by_person = {a.person_id: a for a in accounts if a.person_id}
    by_phone = {a.phone: a for a in accounts if a.phone}

    addresses: list[_Address] = []
    for r in wanted:
        account: UserAccount | None = None
        person: Person | None = None
        if r.person_id is not None:
            person = persons.get(r.person_id)
            if person is None:
                raise NotFound(N_("This person does not exist."))
            reach = person
            if not person.phone and person.guardian_id in persons:
                reach = persons[person.guardian_id]
            account = by_person.get(reach.id)
            addresses.append(
                _Address(
                    recipient_key=f"p:{person.id.hex}",
                    person_id=person.id,
                    user_id=account.id if account else None,
                    phone=reach.phone or (account.phone if account else None),
                    ward_code=person.ward_code,
                    locale=(account.locale if account and account.locale else "vi"),
                )
            )
        elif r.user_id is not None:
            account = by_id.get(r.user_id)
            if account is None:
                raise NotFound(N_("This account does not exist."))
            addresses.append(
                _Address(
                    recipient_key=(
                        f"p:{account.person_id.hex}" if account.person_id else f"u:{account.id.hex}"
                    ),
                    person_id=account.person_id,
                    user_id=account.id,
                    phone=account.phone,
                    locale=account.locale or "vi",
                )
            )
        elif r.phone is not None:
            account = by_phone.get(r.phone)
            addresses.append(
                _Address(
                    recipient_key=(
                        f"p:{account.person_id.hex}"
                        if account and account.person_id
                        else f"t:{r.phone}"
                    ),
                    person_id=account.person_id if account else None,
                    user_id=account.id if account else None,
                    phone=r.phone,
                    locale=(account.locale if account and account.locale else "vi"),
                )
            )
        elif r.email:
            addresses.append(_Address(recipient_key=f"e:{r.email.lower()}", email=r.email))
        else:
            raise InvalidInput(N_("A recipient needs a person, an account, a phone or an e-mail."))

    # account-level choices, opt-outs, push subscriptions and wards, one query each
    account_ids = {a.user_id for a in addresses if a.user_id}
    settings = {
        s.user_id: s
        for s in session.scalars(
            select(ContactSetting).where(ContactSetting.user_id.in_(account_ids))
        )
    }
    with_push = set(
        session.scalars(
            select(PushSubscription.user_id).where(PushSubscription.user_id.in_(account_ids))
        )
    )
    opted_out = set(
        session.scalars(
            select(SmsOptOut.phone).where(SmsOptOut.phone.in_({a.phone for a in addresses}))
        )
    )
    missing_wards = {a.person_id for a in addresses if a.person_id and not a.ward_code}
    ward_rows = session.execute(
        select(Person.id, Person.ward_code).where(Person.id.in_(missing_wards))
    )
    wards: dict[uuid.UUID, str | None] = dict(ward_rows.all())
    for a in addresses:
        setting = settings.get(a.user_id) if a.user_id else None
        if setting is not None:
            a.sms_enabled = setting.sms_enabled
            a.push_enabled = setting.push_enabled
            a.email = a.email or setting.email
            a.window = (setting.reminder_start, setting.reminder_end)
        a.has_push = a.user_id in with_push
        a.opted_out = a.phone in opted_out
        if a.person_id and not a.ward_code:
            a.ward_code = wards.get(a.person_id)
    return addresses


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _check_dedup_key(dedup_key: str) -> None:
    if not dedup_key or len(dedup_key) > MAX_GROUP_KEY:
        raise InvalidInput(N_("A dedup key of at most 120 characters is required."))


def _common_columns(
    tpl: templates.Template,
    *,
    dedup_key: str,
    campaign_id: uuid.UUID | None,
    urgent: bool | None,
    ignore_opt_out: bool,
    expires_at: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The columns every row of one enqueue shares, whether written row by row or set-based."""
    return {
        "kind": tpl.kind,
        "template": tpl.key,
        "group_key": dedup_key,
        "campaign_id": campaign_id,
        "urgent": tpl.urgent if urgent is None else urgent,
        "sensitive": tpl.sensitive,
        "ignore_opt_out": ignore_opt_out,
        "priority": tpl.priority,
        "expires_at": expires_at or now + DEFAULT_LIFETIME,
        "created_at": now,
    }


def enqueue(
    session: Session,
    *,
    recipients: Iterable[Recipient],
    template: str,
    dedup_key: str,
    params: Mapping[str, Any] | None = None,
    channels: Sequence[Channel | str] = (Channel.PUSH, Channel.SMS),
    urgent: bool | None = None,
    ignore_opt_out: bool | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    in_reminder_window: bool = False,
    campaign_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> EnqueueResult:
    """Queue one message per recipient in the caller's transaction; the one entry point.

    - `template`: a registered template key (`alerts.templates`); `params` fill it.
    - `channels`: preference order (push, sms, ott, email, inbox). The first usable one is
      used; after a push, the next SMS/OTT channel is the fallback if nobody acknowledges
      it. A recipient with an account always finds the message in their inbox too.
    - `dedup_key`: one message per recipient per key (e.g. `trace:<id>`,
      `symptom:<order>:<day>`); enqueuing again with the same key does nothing.
    - `urgent`: may go out in quiet hours (default: the template's). `ignore_opt_out`: reach
      numbers that opted out (default: the template's; the contact-alert policy may set it).
    - `not_before`, `expires_at`: the sending window (default: now, now + 3 days).
      `in_reminder_window`: not before the recipient's own reminder window today.
    """
    tpl = templates.get(template)
    _check_dedup_key(dedup_key)
    wanted_channels = [Channel(c) for c in channels]
    missing = set(tpl.params) - set(params or {})
    if missing:
        raise InvalidInput(
            N_("The template %(key)s needs the parameters %(names)s."),
            params={"key": tpl.key, "names": ", ".join(sorted(missing))},
        )
    now = now or utcnow()
    skip_opt_out = tpl.ignore_opt_out if ignore_opt_out is None else ignore_opt_out
    common = _common_columns(
        tpl,
        dedup_key=dedup_key,
        campaign_id=campaign_id,
        urgent=urgent,
        ignore_opt_out=skip_opt_out,
        expires_at=expires_at,
        now=now,
    )
    stored_params = templates.clean_params(params) or None
    result = EnqueueResult()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for address in _resolve(session, recipients):
        if address.recipient_key in seen:
            result.duplicates += 1
            continue
        seen.add(address.recipient_key)
        channel, fallback, reason = _choose(address, wanted_channels, ignore_opt_out=skip_opt_out)
        due = not_before or now
        if in_reminder_window:
            due = max(due, localtime.next_window_start(due, *address.window))
        status = Status.QUEUED
        if channel is None:
            status = Status.SKIPPED
        elif channel is Channel.INBOX:
            status = Status.DELIVERED
        rows.append(
            {
                **common,
                "key": uuid.uuid4(),
                "params": stored_params,
                "recipient_key": address.recipient_key,
                "person_id": address.person_id,
                "user_id": address.user_id,
                "phone": address.phone,
                "email": address.email,
                "ward_code": address.ward_code,
                "locale": address.locale,
                "channel": (channel or (wanted_channels or [Channel.INBOX])[0]).value,
                "fallback_channel": fallback.value if fallback else None,
                "status": status.value,
                "due_at": due,
                "delivered_at": now if status is Status.DELIVERED else None,
                "dead_reason": reason,
            }
        )
    if not rows:
        return result
    insert = _insert(session)
    stmt = (
        insert(OutboxMessage)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["group_key", "recipient_key"])
        .returning(OutboxMessage.key, OutboxMessage.status)
    )
    inserted = session.execute(stmt).all()
    result.duplicates += len(rows) - len(inserted)
    for key, status in inserted:
        result.keys.append(key)
        if status == Status.SKIPPED:
            result.skipped += 1
        else:
            result.created += 1
    return result


# The columns `enqueue_select` reads from its source, one row per recipient.
SELECT_COLUMNS = ("recipient_key", "person_id", "user_id", "phone", "ward_code", "locale", "params")


def people_source(people: Select[tuple[uuid.UUID]]) -> Any:
    """An `enqueue_select` source for a SELECT of person ids: each person's own phone, their
    active account (inbox copy, language), no parameters."""
    return (
        select(
            (literal("p:") + func.replace(cast(Person.id, String), "-", "")).label("recipient_key"),
            Person.id.label("person_id"),
            UserAccount.id.label("user_id"),
            Person.phone.label("phone"),
            Person.ward_code.label("ward_code"),
            UserAccount.locale.label("locale"),
            cast(null(), JSON).label("params"),
        )
        .select_from(Person)
        .outerjoin(
            UserAccount,
            (UserAccount.person_id == Person.id) & UserAccount.is_active.is_(True),
        )
        .where(Person.id.in_(people.scalar_subquery()))
    )


def _new_key(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.gen_random_uuid()
    return func.lower(func.hex(func.randomblob(16)))  # the Uuid type's 32 hex digits on SQLite


def enqueue_select(
    session: Session,
    *,
    source: Select[Any],
    template: str,
    dedup_key: str,
    channel: Channel | str,
    urgent: bool | None = None,
    ignore_opt_out: bool | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    campaign_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one message per recipient of `source` in one `INSERT … SELECT … ON CONFLICT DO
    NOTHING` (a million recipients, one statement); returns the rows written.

    `source` selects the columns named in `SELECT_COLUMNS` (labelled so). The rules are those
    of `enqueue` for one channel: the channel when the recipient can use it (a number that has
    not opted out, a push subscription, an e-mail address), else the inbox when they have an
    account, else `skipped` with the reason. `params` (JSON) are not checked against the
    template: the caller's renderer reads them. A recipient already queued under the dedup key
    is left alone.
    """
    tpl = templates.get(template)
    _check_dedup_key(dedup_key)
    wanted = Channel(channel)
    now = now or utcnow()
    skip_opt_out = tpl.ignore_opt_out if ignore_opt_out is None else ignore_opt_out
    common = _common_columns(
        tpl,
        dedup_key=dedup_key,
        campaign_id=campaign_id,
        urgent=urgent,
        ignore_opt_out=skip_opt_out,
        expires_at=expires_at,
        now=now,
    )
    src = source.subquery("src")
    setting = ContactSetting.__table__.alias("cs")
    opt = SmsOptOut.__table__.alias("opt")
    blocked = or_(opt.c.phone.is_not(None), setting.c.sms_enabled.is_(False))
    has_account = src.c.user_id.is_not(None)
    usable: ColumnElement[bool]
    if wanted in PHONE_CHANNELS:
        usable = src.c.phone.is_not(None)
        if not skip_opt_out:
            usable = and_(usable, not_(blocked))
    elif wanted is Channel.PUSH:
        subscribed = (
            select(PushSubscription.id).where(PushSubscription.user_id == src.c.user_id).exists()
        )
        usable = and_(has_account, subscribed, func.coalesce(setting.c.push_enabled, true()))
    elif wanted is Channel.EMAIL:
        usable = setting.c.email.is_not(None)
    else:
        usable = has_account
    inbox_status = Status.DELIVERED.value
    first_status = Status.DELIVERED.value if wanted is Channel.INBOX else Status.QUEUED.value
    status = case(
        (usable, literal(first_status)),
        (has_account, literal(inbox_status)),
        else_=literal(Status.SKIPPED.value),
    )
    row_channel = case(
        (usable, literal(wanted.value)),
        (has_account, literal(Channel.INBOX.value)),
        else_=literal(wanted.value),
    )
    reason = case(
        (or_(usable, has_account), null()),
        (and_(src.c.phone.is_not(None), blocked), literal("opted out")),
        else_=literal("no address for the chosen channels"),
    )
    in_inbox_only = or_(usable, has_account) if wanted is Channel.INBOX else has_account
    delivered = case(
        (
            and_(in_inbox_only, not_(usable)) if wanted is not Channel.INBOX else in_inbox_only,
            literal(now, type_=OutboxMessage.__table__.c.delivered_at.type),
        ),
        else_=null(),
    )
    constants = {
        name: literal(value, type_=OutboxMessage.__table__.c[name].type)
        for name, value in common.items()
    }
    dialect = session.get_bind().dialect.name
    columns: dict[str, Any] = {
        **constants,
        "key": _new_key(dialect),
        "params": src.c.params,
        "recipient_key": src.c.recipient_key,
        "person_id": src.c.person_id,
        "user_id": src.c.user_id,
        "phone": src.c.phone,
        "email": setting.c.email,
        "ward_code": src.c.ward_code,
        "locale": func.coalesce(src.c.locale, literal("vi")),
        "channel": row_channel,
        "status": status,
        "due_at": literal(not_before or now, type_=OutboxMessage.__table__.c.due_at.type),
        "delivered_at": delivered,
        "dead_reason": reason,
    }
    rows = (
        select(*(expr.label(name) for name, expr in columns.items()))
        .select_from(src)
        .outerjoin(setting, setting.c.user_id == src.c.user_id)
        .outerjoin(opt, opt.c.phone == src.c.phone)
        # SQLite needs a WHERE to read ON CONFLICT after INSERT … SELECT as the upsert clause
        .where(src.c.recipient_key.is_not(None))
        # rows in key order fill the unique index page after page instead of all over it:
        # a million-row campaign queues in a third of the time
        .order_by(src.c.recipient_key)
    )
    stmt = (
        _insert(session)(OutboxMessage)
        .from_select(list(columns), rows)
        .on_conflict_do_nothing(index_elements=["group_key", "recipient_key"])
    )
    # an INSERT's row count is kept only when asked for (psycopg, SQLite)
    result = session.execute(stmt, execution_options={"preserve_rowcount": True})
    return result.rowcount or 0  # type: ignore[attr-defined]


def cancel(session: Session, *, dedup_key: str, recipient_key: str | None = None) -> int:
    """Withdraw messages not yet handed to a channel (e.g. a reminder that is no longer due)."""
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.group_key == dedup_key,
            OutboxMessage.status.in_([Status.QUEUED.value, Status.HELD.value]),
        )
        .values(status=Status.CANCELLED.value, dead_reason="cancelled", failed_at=utcnow())
    )
    if recipient_key is not None:
        stmt = stmt.where(OutboxMessage.recipient_key == recipient_key)
    return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]


def person_key(person_id: uuid.UUID) -> str:
    """The recipient key of a person (for `cancel`)."""
    return f"p:{person_id.hex}"


def staff_of(
    session: Session, *, area_code: str, roles: Sequence[Role] | None = None
) -> list[Recipient]:
    """The active staff accounts holding a role on exactly this unit, as recipients."""
    stmt = (
        select(UserAccount.id)
        .join(RoleGrant, RoleGrant.user_id == UserAccount.id)
        .where(RoleGrant.area_code == area_code, UserAccount.is_active.is_(True))
        .distinct()
    )
    if roles:
        stmt = stmt.where(RoleGrant.role.in_(list(roles)))
    return [Recipient.user(user_id) for user_id in session.scalars(stmt)]


# -- inbox ------------------------------------------------------------------------------------

INBOX_HIDDEN_KINDS = ("otp",)


def _inbox_query(user_id: uuid.UUID) -> Select[OutboxMessage]:
    return select(OutboxMessage).where(
        OutboxMessage.user_id == user_id,
        OutboxMessage.kind.not_in(INBOX_HIDDEN_KINDS),
        OutboxMessage.status.not_in([Status.SKIPPED.value, Status.CANCELLED.value]),
    )


def inbox(
    session: Session, *, user_id: uuid.UUID, limit: int = 50, before: int | None = None
) -> list[OutboxMessage]:
    """An account's notices, newest first (`before`: an id, for the next page)."""
    stmt = _inbox_query(user_id)
    if before is not None:
        stmt = stmt.where(OutboxMessage.id < before)
    return list(session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)))


def unread_count(session: Session, *, user_id: uuid.UUID) -> int:
    stmt = _inbox_query(user_id).where(OutboxMessage.read_at.is_(None))
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def get_notice(session: Session, *, user_id: uuid.UUID, key: uuid.UUID) -> OutboxMessage:
    row = session.scalars(_inbox_query(user_id).where(OutboxMessage.key == key)).first()
    if row is None:
        raise NotFound(N_("This notice does not exist."))
    return row


def _acknowledge(row: OutboxMessage, now: datetime) -> None:
    """The person has seen it: a push waiting for its fallback, or a message still waiting
    for a channel, needs nothing more."""
    if row.status in (Status.QUEUED, Status.HELD, Status.SENT):
        row.status = Status.DELIVERED.value
        row.delivered_at = now


def mark_read(session: Session, *, user_id: uuid.UUID, key: uuid.UUID) -> OutboxMessage:
    row = get_notice(session, user_id=user_id, key=key)
    now = utcnow()
    if row.read_at is None:
        row.read_at = now
    _acknowledge(row, now)
    session.flush()
    return row


def mark_all_read(session: Session, *, user_id: uuid.UUID) -> int:
    rows = list(session.scalars(_inbox_query(user_id).where(OutboxMessage.read_at.is_(None))))
    now = utcnow()
    for row in rows:
        row.read_at = now
        _acknowledge(row, now)
    session.flush()
    return len(rows)


def acknowledge(session: Session, *, key: uuid.UUID) -> bool:
    """A device showed the message (the service worker's receipt); no fallback needed."""
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if row is None:
        return False
    _acknowledge(row, utcnow())
    session.flush()
    return True


@dataclass(frozen=True)
class NoticeView:
    key: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool
    urgent: bool


def view(
    row: OutboxMessage,
    *,
    locale_code: str,
    base_url: str,
    brand: str,
    session: Session | None = None,
) -> NoticeView:
    """A notice rendered in the reader's language (texts a domain keeps in its own table,
    such as campaigns, through that domain's renderer: pass the session)."""
    if session is not None and rendering.has_renderer(row.template):
        with templates.locale(locale_code):
            rendered = rendering.render_rows(session, [row], base_url=base_url, brand=brand)[row.id]
    else:
        rendered = templates.render(
            templates.get(row.template),
            row.params,
            locale_code=locale_code,
            base_url=base_url,
            brand=brand,
        )
    return NoticeView(
        key=row.key,
        kind=row.kind,
        title=rendered.title,
        body=rendered.body,
        link=rendered.link,
        created_at=row.created_at,
        read=row.read_at is not None,
        urgent=row.urgent,
    )


# -- contact settings --------------------------------------------------------------------------


def get_setting(session: Session, *, user_id: uuid.UUID) -> ContactSetting:
    setting = session.get(ContactSetting, user_id)
    if setting is None:
        setting = ContactSetting(
            user_id=user_id,
            sms_enabled=True,
            push_enabled=True,
            reminder_start=DEFAULT_REMINDER_WINDOW[0],
            reminder_end=DEFAULT_REMINDER_WINDOW[1],
        )
        session.add(setting)
        session.flush()
    return setting


def update_setting(
    session: Session,
    *,
    user_id: uuid.UUID,
    sms_enabled: bool,
    push_enabled: bool,
    reminder_start: time,
    reminder_end: time,
    email: str | None = None,
) -> ContactSetting:
    """Save an account's choices; turning SMS off or on also updates its number's opt-out."""
    if reminder_start == reminder_end:
        raise InvalidInput(
            N_("The reminder window must not be empty."),
            fields={"reminder_end": N_("Choose an end after the start.")},
        )
    setting = get_setting(session, user_id=user_id)
    setting.sms_enabled = sms_enabled
    setting.push_enabled = push_enabled
    setting.reminder_start = reminder_start
    setting.reminder_end = reminder_end
    setting.email = (email or "").strip() or None
    account = session.get(UserAccount, user_id)
    if account is not None and account.phone:
        if sms_enabled:
            clear_opt_out(session, phone=account.phone)
        else:
            opt_out(session, phone=account.phone, source="settings")
    session.flush()
    return setting


def opt_out(session: Session, *, phone: str, source: str) -> None:
    """No more SMS/OTT to this number (messages already queued are skipped when claimed)."""
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, source=source))
        session.flush()


def clear_opt_out(session: Session, *, phone: str) -> None:
    row = session.get(SmsOptOut, phone)
    if row is not None:
        session.delete(row)
        session.flush()


def is_opted_out(session: Session, *, phone: str) -> bool:
    return session.get(SmsOptOut, phone) is not None


# -- web push subscriptions ---------------------------------------------------------------------

MAX_PUSH_ENDPOINT = 1000
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def _b64url(value: str) -> bytes | None:
    if not _BASE64URL.match(value or ""):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except ValueError:
        return None


def check_push_subscription(*, endpoint: str, p256dh: str, auth: str) -> None:
    """A browser's subscription as the push protocol needs it (RFC 8291): an https endpoint,
    the browser's P-256 public key (65 bytes) and a 16-byte auth secret, both base64url."""
    url = urlsplit(endpoint or "")
    if url.scheme != "https" or not url.hostname or len(endpoint) > MAX_PUSH_ENDPOINT:
        raise InvalidInput(
            N_("The push endpoint must be an https address of at most 1000 characters."),
            fields={"endpoint": N_("Enter the https address the browser gave.")},
        )
    point = _b64url(p256dh)
    valid_point = point is not None and len(point) == 65 and point[0] == 0x04
    if valid_point and point is not None:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            valid_point = False
    if not valid_point:
        raise InvalidInput(
            N_("The p256dh key must be a P-256 public key: 65 bytes in base64url."),
            fields={"keys.p256dh": N_("Send the key the browser gave, unchanged.")},
        )
    secret = _b64url(auth)
    if secret is None or len(secret) != 16:
        raise InvalidInput(
            N_("The auth secret must be 16 bytes in base64url."),
            fields={"keys.auth": N_("Send the secret the browser gave, unchanged.")},
        )


def subscribe_push(
    session: Session,
    *,
    user_id: uuid.UUID,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str = "",
) -> PushSubscription:
    """Store (or move to this account) a browser's push subscription."""
    row = session.scalars(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    ).first()
    if row is None:
        row = PushSubscription(endpoint=endpoint, user_id=user_id, p256dh=p256dh, auth=auth)
        session.add(row)
    row.user_id = user_id
    row.p256dh = p256dh
    row.auth = auth
    row.user_agent = user_agent[:300]
    session.flush()
    return row


def unsubscribe_push(session: Session, *, user_id: uuid.UUID, endpoint: str) -> bool:
    row = session.scalars(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user_id
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def push_subscriptions(session: Session, *, user_id: uuid.UUID) -> list[PushSubscription]:
    stmt = select(PushSubscription).where(PushSubscription.user_id == user_id)
    return list(session.scalars(stmt))


# -- erasure on request (mydata) ------------------------------------------------------------


def erase_people(
    session: Session,
    *,
    person_ids: Sequence[uuid.UUID],
    user_ids: Sequence[uuid.UUID],
    phones: Sequence[str],
) -> dict[str, int]:
    """Delete every message to these people, accounts or numbers, their SMS replies, their
    numbers in campaign lists, their push subscriptions and contact settings.

    An SMS opt-out stays: the number asked for no messages, and erasing that would let
    campaigns reach it again.
    """
    counts: dict[str, int] = {}
    to_them = [OutboxMessage.person_id.in_(person_ids), OutboxMessage.user_id.in_(user_ids)]
    if phones:
        to_them.append(OutboxMessage.phone.in_(phones))
        counts["inbound_sms"] = affected(
            session.execute(delete(InboundSms).where(InboundSms.phone.in_(phones)))
        )
        counts["campaign_phone"] = affected(
            session.execute(delete(CampaignPhone).where(CampaignPhone.phone.in_(phones)))
        )
    counts["outbox_message"] = affected(session.execute(delete(OutboxMessage).where(or_(*to_them))))
    if user_ids:
        counts["push_subscription"] = affected(
            session.execute(delete(PushSubscription).where(PushSubscription.user_id.in_(user_ids)))
        )
        counts["contact_setting"] = affected(
            session.execute(delete(ContactSetting).where(ContactSetting.user_id.in_(user_ids)))
        )
    return counts
