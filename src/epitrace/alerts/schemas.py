"""API shapes of notices, contact settings and push subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, Field

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
    reminder_start: LocalTime = time(8, 0)
    reminder_end: LocalTime = time(10, 0)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SettingsOut(SettingsIn):
    pass


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
