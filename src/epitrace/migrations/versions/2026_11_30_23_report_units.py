"""rollout: organisations and sectors report too (report unit type, key, organisation, sector;
the kinds of organisation a form asks)

Existing reports are reports of administrative units: their key is their unit code.

On SQLite the `report` table is rebuilt (a new unique key, a foreign key): the migration runs
with foreign keys on, so dropping the old table would delete every `report_event` row by its
ON DELETE CASCADE; the events are kept aside and put back. `report_form` only gains a column
(with a server default, so SQLite adds it in place and its reports are not cascaded away).

Revision ID: 23_report_units
Revises: 22_signup_counts
Create Date: 2026-11-30 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "23_report_units"
down_revision: str | Sequence[str] | None = "22_signup_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT_TYPE = sa.Enum(
    "area", "sector", "organisation", name="indicatorunit", native_enum=False, length=40
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _keep(table: str) -> None:
    """On SQLite, copy a table's rows aside before its parent is rebuilt."""
    if _sqlite():
        op.execute(f"CREATE TEMPORARY TABLE {table}_kept AS SELECT * FROM {table}")  # noqa: S608


def _restore(table: str, parent: str, key: str) -> None:
    """Put back the rows the rebuild cascaded away (those whose parent row is there)."""
    if _sqlite():
        op.execute(
            f"INSERT INTO {table} SELECT * FROM {table}_kept "  # noqa: S608 - our own names
            f"WHERE {key} IN (SELECT id FROM {parent}) AND id NOT IN (SELECT id FROM {table})"
        )
        op.execute(f"DROP TABLE {table}_kept")


def _keep_events() -> None:
    _keep("report_event")


def _restore_events() -> None:
    _restore("report_event", "report", "report_id")


def upgrade() -> None:
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "organisation_kinds", sa.String(length=400), nullable=False, server_default=""
            )
        )

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
    _keep_events()
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
    _restore_events()


def downgrade() -> None:
    # the reports of organisations and sectors have no place in the older table
    op.execute("DELETE FROM report WHERE unit_type <> 'area'")
    _keep_events()
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
    _restore_events()
    # SQLite rebuilds report_form to drop the column: keep its reports and their history
    _keep("report")
    _keep_events()
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.drop_column("organisation_kinds")
    _restore("report", "report_form", "form_id")
    _restore_events()
