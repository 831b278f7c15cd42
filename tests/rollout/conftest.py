"""Fixtures of the rollout tests: accounts that answer for organisations and sectors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person, UserAccount
from epitrace.db import Database
from epitrace.rollout.models import OrganisationAdmin, SectorDirector
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, OrganisationKind, Sector


@pytest.fixture
def make_org(db: Database, places: Any) -> Callable[..., uuid.UUID]:
    """Register an organisation directly (no permission check) and return its id."""

    def _make(
        name: str = "Trường THPT Thử",
        *,
        ward: str = "26743",
        sector: Sector = Sector.EDUCATION,
        kind: OrganisationKind = OrganisationKind.SCHOOL,
        **fields: Any,
    ) -> uuid.UUID:
        with db.session_scope() as s:
            org = venue_service.create_organisation(
                s, name=name, ward_code=ward, sector=sector, kind=kind, **fields
            )
            return org.id

    return _make


@pytest.fixture
def org_admin(db: Database, make_staff: Any) -> Callable[..., dict[str, str]]:
    """An org_admin account (granted on the organisation's ward) that keeps the organisations."""

    def _make(*organisation_ids: uuid.UUID, area: str = "26743") -> dict[str, str]:
        username = f"org-{uuid.uuid4().hex[:6]}"
        headers: dict[str, str] = make_staff("org_admin", area, username=username)
        with db.session_scope() as s:
            account = account_service.get_by_username(s, username=username)
            assert account is not None
            for organisation_id in organisation_ids:
                s.add(OrganisationAdmin(organisation_id=organisation_id, user_id=account.id))
        return headers

    return _make


@pytest.fixture
def sector_director(db: Database, make_staff: Any) -> Callable[..., dict[str, str]]:
    def _make(*sectors: Sector, area: str = "79", username: str | None = None) -> dict[str, str]:
        name = username or f"sd-{uuid.uuid4().hex[:6]}"
        headers: dict[str, str] = make_staff("sector_director", area, username=name)
        with db.session_scope() as s:
            account = account_service.get_by_username(s, username=name)
            assert account is not None
            for sector in sectors:
                s.add(SectorDirector(user_id=account.id, sector=sector))
        return headers

    return _make


def count_organisations(db: Database) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(Organisation)) or 0


def citizen_person(
    session: Any, *, phone: str, name: str = "", ward: str | None = "26743"
) -> uuid.UUID:
    """A citizen who signed up with this phone (an account and its person); the person's id."""
    canonical = phone_numbers.normalise(phone)
    person = Person(full_name=name, phone=canonical, ward_code=ward)
    session.add(person)
    session.flush()
    session.add(
        UserAccount(kind="citizen", phone=canonical, display_name=name, person_id=person.id)
    )
    session.flush()
    return person.id
