"""people: folded names for person search, and the record a merged person was merged into

Revision ID: 11_people_identity
Revises: 10_normalised_usernames
Create Date: 2026-11-29 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from epitrace.accounts.names import fold

revision: str = "11_people_identity"
down_revision: str | Sequence[str] | None = "10_normalised_usernames"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_person_search_name"), ["search_name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_person_merged_into_id_person"), "person", ["merged_into_id"], ["id"]
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("search_name", server_default=None)
    person = sa.table(
        "person",
        sa.column("id", sa.Uuid()),
        sa.column("full_name", sa.String()),
        sa.column("search_name", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(person.c.id, person.c.full_name)).all()
    for person_id, full_name in rows:
        connection.execute(
            person.update()
            .where(person.c.id == person_id)
            .values(search_name=fold(full_name or "")[:200])
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_person_merged_into_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_person_merged_into_id"))
        batch_op.drop_index(batch_op.f("ix_person_search_name"))
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("search_name")
