"""tracing: a link is keyed by its case and contact (no id of its own), loses its checked key
to the case and its index by ward; the index by manual visitor leaves out links to people

Revision ID: 35_contact_link_lean
Revises: 34_presence_no_ward_index
Create Date: 2026-12-01 35:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "35_contact_link_lean"
down_revision: str | Sequence[str] | None = "34_presence_no_ward_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_contact_link_case_id_case_record"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_contact_link_case_id_contact_key"), type_="unique")
        batch_op.drop_constraint(op.f("pk_contact_link"), type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key(op.f("pk_contact_link"), ["case_id", "contact_key"])
        batch_op.drop_index(batch_op.f("ix_contact_link_ward_code"))
        batch_op.drop_index(batch_op.f("ix_contact_link_manual_visitor_id"))
        batch_op.create_index(
            "ix_contact_link_manual_visitor_id",
            ["manual_visitor_id"],
            unique=False,
            postgresql_where=sa.text("manual_visitor_id IS NOT NULL"),
            sqlite_where=sa.text("manual_visitor_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.Uuid(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE contact_link SET id = gen_random_uuid()")
    else:
        op.execute("UPDATE contact_link SET id = lower(hex(randomblob(16)))")
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_link_manual_visitor_id")
        batch_op.create_index(
            batch_op.f("ix_contact_link_manual_visitor_id"), ["manual_visitor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_link_ward_code"), ["ward_code"], unique=False)
        batch_op.drop_constraint(op.f("pk_contact_link"), type_="primary")
        batch_op.alter_column("id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_primary_key(op.f("pk_contact_link"), ["id"])
        batch_op.create_unique_constraint(
            op.f("uq_contact_link_case_id_contact_key"), ["case_id", "contact_key"]
        )
        batch_op.create_foreign_key(
            op.f("fk_contact_link_case_id_case_record"),
            "case_record",
            ["case_id"],
            ["id"],
            ondelete="CASCADE",
        )
