"""People nothing refers to leave after the retention period; everyone else stays."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from epitrace.accounts.models import Person, UserAccount
from epitrace.cases import models as case_models
from epitrace.cases.models import Case
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.people import tasks
from epitrace.security import audit
from epitrace.security.models import AuditEntry


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
        # a search that listed them is the audit log's, not a reason to keep the record
        audit.record(
            s,
            actor=None,
            action="read",
            subject_type="person",
            subject_id="*",
            purpose="person search",
            detail={"ids": [str(lonely.id), str(merged.id)]},
        )
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
    with db.session_scope() as s:  # the search's entry stays, naming ids that no longer resolve
        assert len(audit.named_people(s.scalars(select(AuditEntry.detail)).one())) == 2


# every column that keeps a person's record alive, and why; a new column naming a person must
# be added here (it keeps them) or marked `info={KEEPS_PERSON: False}` (it only records them)
KEEPING = {
    "case_record.person_id": "a case is a health record",
    "lab_test.person_id": "a test is a health record",
    "quarantine_order.person_id": "an order is a health record",
    "contact_link.person_id": "a contact of a case, until tracing.purge_links",
    "presence.person_id": "a check-in, until checkins.purge_old",
    "checkin_scan.person_id": "a scan, until checkins.purge_old",
    "manual_visitor.person_id": "a visitor entered by hand, until checkins.purge_old",
    "declaration.person_id": "a declaration, until declarations.purge",
    "feedback.person_id": "feedback, until feedback.purge",
    "exposure_report.person_id": "an exposure report, until exposure.purge",
    "outbox_message.person_id": "a message to send or sent, until alerts.purge",
    "erasure_request.person_id": "a queued erasure is done by mydata.honour_erasures",
    "user_account.person_id": "the person's own account",
    "person.guardian_id": "a dependent's guardian",
    "person.merged_into_id": "the record a duplicate was merged into",
}


def test_every_column_naming_a_person_is_a_decided_reason_to_keep_them() -> None:
    found = {f"{c.table.name}.{c.name}" for c in tasks._references()}
    assert sorted(found - KEEPING.keys()) == [], "keeps people: add to KEEPING or mark the column"
    assert sorted(KEEPING.keys() - found) == []


def test_batches_walk_past_the_records_that_stay(
    db: Database, places: object, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches smaller than the referenced records: every orphan still goes in one run."""
    monkeypatch.setattr(tasks, "BATCH", 2)
    old = utcnow() - timedelta(days=settings.retention_days + 1)
    with time_machine.travel(old, tick=False), db.session_scope() as s:
        people = [Person(full_name=f"Người {i}") for i in range(9)]
        s.add_all(people)
        s.flush()
        kept = {p.id for p in people[::2]}
        s.add_all(
            UserAccount(kind="citizen", phone=f"+8491200030{i}", person_id=p.id)
            for i, p in enumerate(people)
            if p.id in kept
        )
    with db.session_scope() as s:
        assert tasks.purge_orphans(s, settings) == "4 people"
    with db.session_scope() as s:
        assert set(s.scalars(select(Person.id))) >= kept
        assert not set(s.scalars(select(Person.id))) & ({p.id for p in people} - kept)
