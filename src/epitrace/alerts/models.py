"""The outbox (one row per message and recipient, which is also the inbox), contact settings,
SMS opt-outs, web-push subscriptions, the channels' shared rate buckets, and campaigns (their
occurrences and uploaded phone lists)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, utcnow, uuid_pk

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Channel(enum.StrEnum):
    """How a message reaches its recipient. The inbox is written at once, the rest by workers."""

    INBOX = "inbox"
    SMS = "sms"
    OTT = "ott"  # template messages of an OTT provider (Zalo-style) through the HTTP gateway
    PUSH = "push"
    EMAIL = "email"


class Status(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (maybe until `due_at`: quiet hours, schedules)
    HELD = "held"  # its campaign is paused
    SENDING = "sending"  # claimed by a worker until `lease_until`
    SENT = "sent"  # accepted by the channel
    DELIVERED = "delivered"  # receipt from the handset / shown and acknowledged / in the inbox
    FAILED = "failed"  # dead letter: `dead_reason` says why
    EXPIRED = "expired"  # not sent before `expires_at`
    SKIPPED = "skipped"  # no usable address (or opted out): recorded, never sent
    CANCELLED = "cancelled"  # withdrawn before sending (e.g. a reminder no longer due)


TERMINAL = frozenset(
    {Status.DELIVERED, Status.FAILED, Status.EXPIRED, Status.SKIPPED, Status.CANCELLED}
)


class OutboxMessage(Base):
    """One message to one recipient, written in the transaction of the event that caused it.

    `(group_key, recipient_key)` is unique: one message per person per occurrence (campaign
    run, trace, reminder day) whatever the channel. `channel` is the channel in use; after a
    push that nobody acknowledged in time it becomes `fallback_channel`. Rows with a `user_id`
    are that account's inbox. No foreign keys to people or accounts: a campaign inserts a
    million rows in one statement, and the ids were read in that same statement.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("group_key", "recipient_key"),
        # the workers' claim: due messages of a channel, most urgent first
        Index(
            "ix_outbox_message_due",
            "channel",
            "priority",
            "due_at",
            postgresql_where=text("status = 'queued'"),
            sqlite_where=text("status = 'queued'"),
        ),
        Index(
            "ix_outbox_message_inbox",
            "user_id",
            "id",
            postgresql_where=text("user_id IS NOT NULL"),
            sqlite_where=text("user_id IS NOT NULL"),
        ),
        Index(
            "ix_outbox_message_provider_ref",
            "channel",
            "provider_ref",
            postgresql_where=text("provider_ref IS NOT NULL"),
            sqlite_where=text("provider_ref IS NOT NULL"),
        ),
        # alerts by kind over time; a campaign's rows are found by its id, and leaving them out
        # spares a million-row campaign one index entry per message
        Index(
            "ix_outbox_message_kind_created",
            "kind",
            "created_at",
            postgresql_where=text("campaign_id IS NULL"),
            sqlite_where=text("campaign_id IS NULL"),
        ),
        Index("ix_outbox_message_campaign", "campaign_id", "status"),
        # leases that ran out (a worker died) and pushes waiting for their fallback
        Index(
            "ix_outbox_message_lease",
            "status",
            "lease_until",
            postgresql_where=text("status IN ('sending', 'sent')"),
            sqlite_where=text("status IN ('sending', 'sent')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # the id shown outside (inbox, API, idempotency key sent to gateways)
    key: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    group_key: Mapped[str] = mapped_column(String(120))
    recipient_key: Mapped[str] = mapped_column(String(60))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    ward_code: Mapped[str | None] = mapped_column(String(16), default=None)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    channel: Mapped[str] = mapped_column(String(10))
    fallback_channel: Mapped[str | None] = mapped_column(String(10), default=None)
    status: Mapped[str] = mapped_column(String(10), default=Status.QUEUED.value)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # erase the rendered parameters once the message is final (one-time codes)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # sent even to a number that opts out after queuing (the policy's contact alerts, codes)
    ignore_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    priority: Mapped[int] = mapped_column(SmallInteger, default=5)  # 0 = most urgent
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    worker: Mapped[str | None] = mapped_column(String(80), default=None)
    provider_ref: Mapped[str | None] = mapped_column(String(80), default=None)
    segments: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    cost: Mapped[int | None] = mapped_column(Integer, default=None)  # đồng
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    dead_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    expired_at: Mapped[datetime | None] = mapped_column(default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


# The daily reminder window of an account that never chose one, and of a bare phone number.
DEFAULT_REMINDER_WINDOW = (time(8, 0), time(10, 0))


class ContactSetting(Base):
    """An account's choices: SMS/OTT and push on or off, reminder window, staff e-mail."""

    __tablename__ = "contact_setting"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    push_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    # daily reminders (symptom report) arrive in this local window
    reminder_start: Mapped[time] = mapped_column(Time, default=DEFAULT_REMINDER_WINDOW[0])
    reminder_end: Mapped[time] = mapped_column(Time, default=DEFAULT_REMINDER_WINDOW[1])
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmsOptOut(Base):
    """A number that asked for no more messages (replied STOP, or turned SMS off)."""

    __tablename__ = "sms_opt_out"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # "stop" | "settings"
    created_at: Mapped[created_at]


class PushSubscription(Base):
    """A browser's Web Push subscription (endpoint and keys) for an account."""

    __tablename__ = "push_subscription"

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(60))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[created_at]
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)


class ChannelState(Base):
    """A channel's shared token bucket and pause, so every worker together keeps its rate."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    tokens: Mapped[float] = mapped_column(default=0.0)
    refilled_at: Mapped[datetime] = mapped_column(default=utcnow)
    paused_until: Mapped[datetime | None] = mapped_column(default=None)
    pause_reason: Mapped[str | None] = mapped_column(String(200), default=None)


class InboundSms(Base):
    """A message a phone sent to our number (MO): kept for opt-outs and the audit trail."""

    __tablename__ = "inbound_sms"

    id: Mapped[uuid_pk]
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(20))  # "opt_out" | "opt_in" | "ignored"
    received_at: Mapped[created_at]


# -- campaigns ----------------------------------------------------------------------------------


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"  # launched, but the audience needs a second official
    SCHEDULED = "scheduled"  # approved (or small enough) and launched: waiting for its times
    RUNNING = "running"  # at least one occurrence queued, more to come or still sending
    PAUSED = "paused"  # its queued messages are held, no occurrence is queued
    FINISHED = "finished"  # every occurrence queued
    CANCELLED = "cancelled"


class AudienceKind(enum.StrEnum):
    UNITS = "units"  # registered citizens living in chosen wards or districts
    PROVINCE = "province"  # every registered citizen of the campaign's province
    ORGANISATIONS = "organisations"  # the people on chosen organisations' rosters
    PHONES = "phones"  # an uploaded list of numbers


class Campaign(Base):
    """A message written by DIC officials to an audience, once or on a repeat rule.

    The text is kept here once (in Vietnamese and English); the outbox rows of each
    occurrence carry only what differs per recipient (name, ward) and are rendered by the
    campaign renderer (`alerts.campaigns`).
    """

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_area_status", "area_code", "status"),)

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200))
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10))
    # the province (or area) the campaign belongs to: who may manage it and whom it may reach
    area_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code", ondelete="RESTRICT"))
    audience_kind: Mapped[str] = mapped_column(String(16))
    # unit codes (units) or organisation ids (organisations); empty for the other kinds
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column()  # the first occurrence (UTC)
    repeat: Mapped[str] = mapped_column(String(8), default="none")
    weekday: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # 0 = Monday
    repeat_count: Mapped[int | None] = mapped_column(Integer, default=None)
    repeat_until: Mapped[date | None] = mapped_column(Date, default=None)  # local, inclusive
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT.value)
    audience_count: Mapped[int | None] = mapped_column(Integer, default=None)  # at launch
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    launched_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    launched_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CampaignOccurrence(Base):
    """One run of a campaign: queued once (`enqueued_at`), with the number of recipients."""

    __tablename__ = "campaign_occurrence"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        Index(
            "ix_campaign_occurrence_due",
            "due_at",
            postgresql_where=text("enqueued_at IS NULL"),
            sqlite_where=text("enqueued_at IS NULL"),
        ),
    )

    id: Mapped[uuid_pk]
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ...
    due_at: Mapped[datetime] = mapped_column()
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None)
    recipients: Mapped[int | None] = mapped_column(Integer, default=None)


class CampaignPhone(Base):
    """An accepted number of a campaign's uploaded list (canonical +84…, once per campaign)."""

    __tablename__ = "campaign_phone"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
