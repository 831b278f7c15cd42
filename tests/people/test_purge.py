"""People nothing refers to leave after the retention period; everyone else stays."""

from __future__ import annotations

import uuid
from datetime import timedelta

import time_machine
from sqlalchemy import select

from epitrace.accounts.models import Person, UserAccount
from epitrace.cases import models as case_models
from epitrace.cases.models import Case
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.people import tasks


def test_only_old_records_nothing_refers_to_are_deleted(
    db: Database, places: object, settings: Settings
) -> None:
    old = utcnow() - timedelta(days=settings.retention_days + 1)
    with time_machine.travel(old, tick=False), db.session_scope() as s:
        lonely = Person(full_name="Không Ai Cần")
        holder = Person(full_name="Có Tài Khoản")
        patient = Person(full_name="Ca Bệnh", ward_code="26743")
        s.add_all([lonely, holder, patient])
        s.flush()
        dependent = Person(full_name="Con", guardian_id=holder.id)
        merged = Person(full_name="Bản Trùng", merged_into_id=lonely.id)
        s.add_all(
            [
                dependent,
                merged,
                UserAccount(kind="citizen", phone="+84912000111", person_id=holder.id),
                Case(
                    person_id=patient.id,
                    ward_code="26743",
                    test_type=case_models.TestType.PCR,
                    sampled_at=old,
                    confirmed_at=old,
                ),
            ]
        )
        s.flush()
        ids = {p.full_name: p.id for p in (lonely, holder, patient, dependent, merged)}
    with db.session_scope() as s:
        recent = Person(full_name="Mới Thêm")
        s.add(recent)
        s.flush()
        ids[recent.full_name] = recent.id

    def remaining() -> set[str]:
        with db.session_scope() as s:
            wanted: list[uuid.UUID] = list(ids.values())
            return set(s.scalars(select(Person.full_name).where(Person.id.in_(wanted))))

    with db.session_scope() as s:
        assert tasks.purge_orphans(s, settings) == "1 people"  # the merged copy first
    assert remaining() == set(ids) - {"Bản Trùng"}
    with db.session_scope() as s:  # the next day the record it was merged into goes too
        assert tasks.purge_orphans(s, settings) == "1 people"
    assert remaining() == {"Có Tài Khoản", "Ca Bệnh", "Con", "Mới Thêm"}
