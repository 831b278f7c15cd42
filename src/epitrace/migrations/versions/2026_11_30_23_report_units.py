"""rollout: organisations and sectors report too (report unit type, key, organisation, sector;
the kinds of organisation a form asks)

Existing reports are reports of administrative units: their key is their unit code.

Revision ID: 23_report_units
Revises: 21_checkin_rollup
Create Date: 2026-11-30 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "23_report_units"
down_revision: str | Sequence[str] | None = "21_checkin_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT_TYPE = sa.Enum(
    "area", "sector", "organisation", name="indicatorunit", native_enum=False, length=40
)


def upgrade() -> None:
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "organisation_kinds", sa.String(length=400), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.alter_column("organisation_kinds", server_default=None)

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit_type", UNIT_TYPE, nullable=False, server_default="area")
        )
        batch_op.add_column(sa.Column("unit_key", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("organisation_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("sector", sa.String(length=40), nullable=False, server_default="")
        )
    op.execute("UPDATE report SET unit_key = unit_code")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column("unit_type", server_default=None)
        batch_op.alter_column("sector", server_default=None)
        batch_op.alter_column("unit_key", existing_type=sa.String(length=60), nullable=False)
        batch_op.drop_constraint("uq_report_form_id_unit_code_period_start", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_report_form_id_unit_key_period_start"),
            ["form_id", "unit_key", "period_start"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_report_organisation_id_organisation"),
            "organisation",
            ["organisation_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(
            batch_op.f("ix_report_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    # the reports of organisations and sectors have no place in the older table
    op.execute("DELETE FROM report WHERE unit_type <> 'area'")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_organisation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_report_organisation_id_organisation"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_report_form_id_unit_key_period_start"), type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_report_form_id_unit_code_period_start", ["form_id", "unit_code", "period_start"]
        )
        batch_op.drop_column("sector")
        batch_op.drop_column("organisation_id")
        batch_op.drop_column("unit_key")
        batch_op.drop_column("unit_type")
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.drop_column("organisation_kinds")
