"""API shapes of feedback reports."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    category: str
    ward_code: str
    text: str
    has_photo: bool
    status: str
    answer: str | None
    answered_by_label: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


class AnswerIn(BaseModel):
    answer: str = Field(default="", max_length=4000)
    close: bool = False
