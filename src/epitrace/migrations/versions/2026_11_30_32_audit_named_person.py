"""security: the people a search or a match named, indexed for their access history

Revision ID: 32_audit_named_person
Revises: 31_access_flags
Create Date: 2026-11-30 32:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "32_audit_named_person"
down_revision: str | Sequence[str] | None = "31_access_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LISTS = ("ids", "matched")  # epitrace.security.models.NAMED_LISTS when this was written


def upgrade() -> None:
    named = op.create_table(
        "audit_named_person",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entry.id"],
            name=op.f("fk_audit_named_person_entry_id_audit_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "person_id", name=op.f("pk_audit_named_person")),
    )
    op.create_index(
        "ix_audit_named_person_person_id", "audit_named_person", ["person_id"], unique=False
    )
    # the entries already written: searches and matches (subject "*") with a list of people
    entry = sa.table(
        "audit_entry",
        sa.column("id", sa.Uuid()),
        sa.column("subject_id", sa.String()),
        sa.column("detail", sa.JSON()),
    )
    bind = op.get_bind()
    rows: list[dict[str, uuid.UUID]] = []
    for entry_id, detail in bind.execute(
        sa.select(entry.c.id, entry.c.detail).where(
            entry.c.subject_id == "*", entry.c.detail.is_not(None)
        )
    ):
        seen: set[uuid.UUID] = set()
        for key in _LISTS:
            listed = (detail or {}).get(key)
            for value in listed if isinstance(listed, list) else []:
                try:
                    person = uuid.UUID(str(value))
                except ValueError:
                    continue
                if person not in seen:
                    seen.add(person)
                    rows.append({"entry_id": entry_id, "person_id": person})
        if len(rows) >= 10_000:
            bind.execute(named.insert(), rows)
            rows = []
    if rows:
        bind.execute(named.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_audit_named_person_person_id", table_name="audit_named_person")
    op.drop_table("audit_named_person")
