"""tracing: links lose their checked key to the case and their index by ward; the index by
manual visitor leaves out the links to people (NULL)

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
        batch_op.drop_index("ix_contact_link_manual_visitor_id")
        batch_op.create_index(
            batch_op.f("ix_contact_link_manual_visitor_id"), ["manual_visitor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_link_ward_code"), ["ward_code"], unique=False)
        batch_op.create_foreign_key(
            op.f("fk_contact_link_case_id_case_record"),
            "case_record",
            ["case_id"],
            ["id"],
            ondelete="CASCADE",
        )
