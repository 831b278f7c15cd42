"""Builders for the alerts tests: people with accounts, staff, and outbox rows."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person, UserAccount
from epitrace.alerts.models import OutboxMessage
from tests.factories import STAFF_PASSWORD


def citizen(
    session: Session, phone: str, name: str = "Lê Thị Hoa", ward: str | None = "26743"
) -> tuple[Person, UserAccount]:
    """A signed-up citizen (person + account), as a phone sign-up would make one."""
    person = account_service.create_person(session, full_name=name, phone=phone, ward_code=ward)
    account = UserAccount(
        kind="citizen",
        phone=person.phone,
        display_name=name,
        person_id=person.id,
        is_active=True,
    )
    session.add(account)
    session.flush()
    return person, account


def staff(session: Session, username: str, role: str, area: str | None) -> UserAccount:
    from epitrace.security.roles import Role

    return account_service.create_staff(
        session,
        username=username,
        password=STAFF_PASSWORD,
        granter=None,
        grants=[(Role(role), area)],
    )


def messages(session: Session, **where: object) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, name) == value)
    return list(session.scalars(stmt))


def key_of(session: Session, user_id: uuid.UUID) -> uuid.UUID:
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user_id)).first()
    assert row is not None
    return row.key
