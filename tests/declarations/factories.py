"""Builders of declaration payloads and rows for the declarations tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.declarations import service as declaration_service
from epitrace.declarations.models import Declaration
from epitrace.declarations.schemas import DeclarationIn
from epitrace.declarations.status import local_date

# CCCD of a man born in 1990 registered in Hồ Chí Minh City (079): century code 0, year 90.
CCCD_1990 = "079090123456"


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid declaration (JSON shape) for the test ward 26743, without symptoms."""
    data: dict[str, Any] = {
        "subject": "self",
        "full_name": "Nguyễn Văn An",
        "id_kind": "cccd",
        "id_number": CCCD_1990,
        "birth_year": 1990,
        "gender": "male",
        "nationality": "Việt Nam",
        "ward_code": "26743",
        "street": "12 Lê Lợi",
        "phone": "0912345678",
        "email": "an@example.vn",
        "travel": [],
        "symptoms": [],
        "exposures": [],
        "dose_dates": [],
        "consent": True,
    }
    data.update(overrides)
    return data


def days_ago(n: int, now: datetime | None = None) -> str:
    today = local_date(now or datetime.now().astimezone())
    return (today - timedelta(days=n)).isoformat()


def declare(
    session: Session,
    *,
    person_id: uuid.UUID | None = None,
    now: datetime,
    **overrides: Any,
) -> Declaration:
    """A declaration saved through the service (for a new person unless one is given)."""
    if person_id is None:
        person_id = account_service.create_person(session, full_name="Trần Thị Bình").id
    data = DeclarationIn.model_validate(payload(**overrides))
    return declaration_service.create(
        session, account_id=None, account_person_id=person_id, data=data, now=now
    )


def today_minus(now: datetime, days: int) -> date:
    return local_date(now) - timedelta(days=days)
