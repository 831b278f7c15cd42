"""Scheduled job: a person record nothing needs any more leaves after the retention period.

A person is kept while anything refers to them: an account, a dependent, a case, a test, an
order, a declaration, a presence, a contact link, a roster entry … — every column of every
table that points at `person.id` (by foreign key, or named `person_id` without one). The
job walks the metadata, so a new table that refers to people keeps them without a change
here. Dependents are kept while their guardian's record exists (they are removed with the
account). A record merged into another (`merged_into_id`) has nothing pointing at it and
goes like any other once past the period; the audit entries naming its id stay, and no
longer resolve. See docs/privacy.md, "Retention".
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Column, ColumnElement, Table, delete, exists, select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.config import Settings
from epitrace.db import Base, utcnow
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
    """Delete person records older than the retention period that nothing refers to."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    conditions = _unreferenced(_references())
    removed = 0
    while True:
        ids = list(
            session.scalars(
                select(Person.id)
                .where(Person.created_at < cutoff, Person.guardian_id.is_(None), *conditions)
                .limit(BATCH)
            )
        )
        if not ids:
            break
        session.execute(
            delete(Person).where(Person.id.in_(ids)).execution_options(synchronize_session=False)
        )
        removed += len(ids)
        if len(ids) < BATCH:
            break
    return f"{removed} people"


JOBS = [Job("people.purge_orphans", 86400, purge_orphans)]
