"""API shapes of notices, contact settings and push subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from epitrace.alerts.models import DEFAULT_REMINDER_WINDOW
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
