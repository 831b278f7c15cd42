"""Builders for the campaign tests: a campaign in area 79 and the citizens it reaches."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from epitrace.alerts import campaign_schedule as schedule
from epitrace.alerts import campaigns
from epitrace.alerts.campaign_schedule import Repeat
from epitrace.alerts.campaigns import CampaignIn
from epitrace.alerts.models import AudienceKind, Campaign, Channel
from epitrace.db import utcnow

TEXT_VI = "{name} ơi, hãy cài đặt ứng dụng và khai báo y tế tại {link}. Phường {ward}."
TEXT_EN = "{name}, please sign up and declare your health at {link}."


def local_now(offset: timedelta = timedelta(0)) -> datetime:
    return schedule.as_local(utcnow() + offset).replace(second=0, microsecond=0)


def data(**overrides: Any) -> CampaignIn:
    values: dict[str, Any] = {
        "name": "Vận động cài đặt",
        "text_vi": TEXT_VI,
        "text_en": TEXT_EN,
        "channel": Channel.SMS,
        "area_code": "79",
        "audience_kind": AudienceKind.UNITS,
        "audience": ("26743",),
        "start": local_now(),
        "repeat": Repeat.NONE,
    }
    values.update(overrides)
    return CampaignIn(**values)


def campaign(session: Session, created_by: uuid.UUID, **overrides: Any) -> Campaign:
    return campaigns.create(session, data=data(**overrides), created_by=created_by)
