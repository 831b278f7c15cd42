"""Scheduled job: a person record nothing needs any more leaves after the retention period.

A person is kept while anything refers to them: an account, a dependent, a case, a test, an
order, a declaration, a presence, a contact link, a roster entry … — every column of every
table that points at `person.id` (by foreign key, or named `person_id` without one). The
job walks the metadata, so a new table that refers to people keeps them without a change
here. Dependents are kept while their guardian's record exists (they are removed with the
account). A record merged into another (`merged_into_id`) has nothing pointing at it and
goes like any other once past the period; the audit entries naming its id stay, and no
longer resolve (a column marked `info={KEEPS_PERSON: False}`, as the audit log's index of the
people a search named, records a person without keeping them). See docs/privacy.md, "Retention".
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Column, ColumnElement, Table, and_, delete, exists, select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.config import Settings
from epitrace.db import KEEPS_PERSON, Base, utcnow
from epitrace.domains import domain_modules
from epitrace.jobs import Job

BATCH = 5000


def _references() -> list[Column[object]]:
    """Every column that points at a person (foreign key to person.id, or `person_id`)."""
    domain_modules("models")
    person = Base.metadata.tables["person"]
    found: list[Column[object]] = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.info.get(KEEPS_PERSON) is False:
                continue  # a record about the person (the audit log's), not a use of them
            points = any(fk.column is person.c.id for fk in column.foreign_keys)
            if points or (column.name == "person_id" and table is not person):
                found.append(column)
    return found


def _unreferenced(columns: list[Column[object]]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column in columns:
        table = column.table
        if isinstance(table, Table) and table.name == "person":
            other = table.alias("other_person")
            ref = other.c[column.name]
            conditions.append(~exists().where(ref == Person.id))
        else:
            conditions.append(~exists().where(column == Person.id))
    return conditions


def purge_orphans(session: Session, settings: Settings) -> str:
    """Delete person records older than the retention period that nothing refers to.

    The old records are walked once in id order, a batch at a time: a referenced record is
    looked at once per run, not again by every batch after it.
    """
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    conditions = _unreferenced(_references())
    removed = 0
    after: uuid.UUID | None = None
    while True:
        candidates = (
            select(Person.id)
            .where(Person.created_at < cutoff, Person.guardian_id.is_(None))
            .order_by(Person.id)
            .limit(BATCH)
        )
        if after is not None:
            candidates = candidates.where(Person.id > after)
        batch = candidates.subquery()
        rows = session.execute(
            select(batch.c.id, and_(*conditions).label("orphan")).join(
                Person, Person.id == batch.c.id
            )
        ).all()
        if not rows:
            break
        after = max(row.id for row in rows)
        ids = [row.id for row in rows if row.orphan]
        if ids:
            session.execute(
                delete(Person)
                .where(Person.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
            removed += len(ids)
        if len(rows) < BATCH:
            break
    return f"{removed} people"


JOBS = [Job("people.purge_orphans", 86400, purge_orphans)]
