"""API shapes of notices, contact settings, push subscriptions, campaigns and the delivery
dashboard."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from epitrace.alerts.campaign_schedule import Repeat
from epitrace.alerts.models import DEFAULT_REMINDER_WINDOW, AudienceKind, Channel
from epitrace.web.fields import LocalTime


class NoticeOut(BaseModel):
    key: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool
    urgent: bool


class InboxOut(BaseModel):
    unread: int
    items: list[NoticeOut]
    next_before: int | None = Field(
        default=None, description="Pass as `before` for the next (older) page."
    )


class UnreadOut(BaseModel):
    unread: int


class MarkedOut(BaseModel):
    marked: int


class SettingsIn(BaseModel):
    sms_enabled: bool = True
    push_enabled: bool = True
    reminder_start: LocalTime = DEFAULT_REMINDER_WINDOW[0]
    reminder_end: LocalTime = DEFAULT_REMINDER_WINDOW[1]
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SettingsOut(SettingsIn):
    pass


class PushKeyOut(BaseModel):
    public_key: str = Field(
        description="The VAPID public key (base64url, uncompressed P-256 point): pass it as "
        "`applicationServerKey` to `pushManager.subscribe`."
    )


class PushKeys(BaseModel):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=60)


class PushSubscriptionIn(BaseModel):
    """What `PushSubscription.toJSON()` gives in the browser (`expirationTime` is ignored)."""

    endpoint: str = Field(max_length=2000)
    keys: PushKeys


class PushUnsubscribeIn(BaseModel):
    endpoint: str = Field(max_length=2000)


class PushSubscriptionOut(BaseModel):
    endpoint: str
    created_at: datetime


# -- campaigns ---------------------------------------------------------------------------------


class CampaignIn(BaseModel):
    """A campaign as an official writes it; `start` is on the local clock."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    text_vi: str = Field(
        max_length=1000, description="Vietnamese text; {name} {ward} {link} {brand}."
    )
    text_en: str = Field(default="", max_length=1000, description="English text (optional).")
    channel: Channel = Channel.SMS
    area_code: str = Field(max_length=16, description="The province (or area) of the campaign.")
    audience_kind: AudienceKind
    audience: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Unit codes (units) or organisation ids (organisations).",
    )
    start: datetime = Field(description="First sending, local time (e.g. 2026-12-07T08:00).")
    repeat: Repeat = Repeat.NONE
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday (weekly).")
    repeat_count: int | None = Field(default=None, ge=1, le=366)
    repeat_until: date | None = Field(default=None, description="Last local day (inclusive).")


class OccurrenceOut(BaseModel):
    number: int
    due_at: datetime
    enqueued_at: datetime | None
    recipients: int | None


class CampaignOut(BaseModel):
    id: uuid.UUID
    name: str
    text_vi: str
    text_en: str
    channel: str
    area_code: str
    audience_kind: str
    audience: list[str]
    start: datetime = Field(description="Local time of the first sending.")
    starts_at: datetime
    repeat: str
    weekday: int | None
    repeat_count: int | None
    repeat_until: date | None
    status: str
    audience_count: int | None
    phones: int
    created_by: uuid.UUID | None
    approved_by: uuid.UUID | None
    approved_at: datetime | None
    launched_at: datetime | None
    occurrences: list[OccurrenceOut]


class CampaignListOut(BaseModel):
    items: list[CampaignOut]


class TextPreviewOut(BaseModel):
    locale: str
    text: str
    characters: int
    segments: int
    cost: int = Field(description="Đồng per message.")


class PreviewOut(BaseModel):
    texts: list[TextPreviewOut]
    audience: int
    cost_per_message: int
    total_cost: int = Field(description="Đồng per occurrence.")
    occurrences: int
    total_cost_all: int = Field(description="Đồng for every occurrence.")
    needs_approval: bool


class RefusedOut(BaseModel):
    line: int
    value: str
    reason: str
    reason_text: str
    first_line: int | None = None


class PhoneReportOut(BaseModel):
    lines: int
    accepted: int
    refused: list[RefusedOut]
    stored: bool = Field(description="False for a dry run: nothing was stored.")


class CountsOut(BaseModel):
    by_status: dict[str, int]
    total: int
    cost: int
    delivery_rate: float | None = Field(description="Delivered, % of the messages meant to go.")


class ChannelCountsOut(BaseModel):
    channel: str
    counts: CountsOut


class WardCountsOut(BaseModel):
    ward_code: str | None
    ward_name: str
    counts: CountsOut


class FailureOut(BaseModel):
    reason: str
    status: str
    channel: str
    count: int


class DashboardOut(BaseModel):
    total: CountsOut
    by_channel: list[ChannelCountsOut]
    by_ward: list[WardCountsOut]
    failures: list[FailureOut]


class GatewayReportIn(BaseModel):
    """A gateway's callback: a delivery receipt (`id`, `status`) or a reply (`from`, `text`)."""

    id: str | None = Field(default=None, min_length=1, max_length=80)
    status: Literal["delivered", "failed"] | None = None
    reason: str = Field(default="", max_length=300)
    sender: str | None = Field(default=None, alias="from", min_length=3, max_length=40)
    text: str | None = Field(default=None, max_length=2000)


class GatewayReportOut(BaseModel):
    kind: Literal["receipt", "inbound"]
    action: str | None = None
