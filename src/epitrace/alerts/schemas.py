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
