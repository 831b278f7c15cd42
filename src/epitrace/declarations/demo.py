"""Demo declarations: people in the demo wards, a few with symptoms or exposure to follow up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.db import utcnow
from epitrace.declarations import service as declaration_service
from epitrace.declarations.schemas import DeclarationIn

# name, CCCD (province 079, century code and year match the birth year), year, gender,
# ward index, hours ago, symptoms, exposures
PEOPLE: list[tuple[str, str, int, str, int, int, list[str], list[str]]] = [
    ("Nguyễn Thị Mai", "079185000101", 1985, "female", 0, 2, ["fever", "cough"], []),
    ("Trần Văn Hùng", "079078000102", 1978, "male", 0, 20, [], ["case"]),
    ("Lê Thị Hồng", "079192000103", 1992, "female", 1, 5, [], []),
    ("Phạm Minh Tuấn", "079201000104", 2001, "male", 1, 30, ["sore_throat"], ["symptomatic"]),
    ("Võ Thị Lan", "079167000105", 1967, "female", 2, 50, [], []),
    ("Đặng Quốc Bảo", "079088000106", 1988, "male", 2, 200, [], []),  # expired: to remind
    ("Bùi Thị Thu", "079195000107", 1995, "female", 3, 8, ["loss_of_taste_smell"], []),
]
PHONES = [
    "0912000101",
    "0912000102",
    "0912000103",
    "0912000104",
    "0912000105",
    "0912000106",
    "0912000107",
]


def seed(session: Session, context: Any) -> None:
    """Create the demo people and their declarations once (matched by ID number)."""
    now = utcnow()
    for (name, cccd, year, gender, ward_index, hours, symptoms, exposures), phone in zip(
        PEOPLE, PHONES, strict=True
    ):
        if session.scalars(select(Person).where(Person.id_number == cccd)).first() is not None:
            continue
        ward = context.wards[ward_index % len(context.wards)]
        person = account_service.create_person(session, full_name=name, phone=phone)
        data = DeclarationIn(
            full_name=name,
            id_number=cccd,
            birth_year=year,
            gender=gender,
            ward_code=ward,
            street="12 Lê Lợi",
            phone=phone,
            symptoms=symptoms,
            exposures=exposures,
            consent=True,
        )
        declaration_service.create(
            session,
            account_id=None,
            account_person_id=person.id,
            data=data,
            now=now - timedelta(hours=hours),
        )
