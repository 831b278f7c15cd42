"""rollout: organisations as accountable units (kind, sector, head, contact), their admins,
sector directors; venues remember their first poster download

Revision ID: 08_rollout_orgs
Revises: 07_alerts_outbox
Create Date: 2026-11-29 19:10:33.615636
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "08_rollout_orgs"
down_revision: str | Sequence[str] | None = "07_alerts_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_admin",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_admin_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_organisation_admin_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_admin")),
        sa.UniqueConstraint(
            "organisation_id", "user_id", name=op.f("uq_organisation_admin_organisation_id_user_id")
        ),
    )
    with op.batch_alter_table("organisation_admin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_admin_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "sector_director",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "sector",
            sa.Enum(
                "health",
                "education",
                "labour",
                "transport",
                "culture_tourism",
                "industry_trade",
                "zone_board",
                "mass_organisations",
                "people_committee",
                name="sector",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_sector_director_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sector_director")),
        sa.UniqueConstraint("user_id", "sector", name=op.f("uq_sector_director_user_id_sector")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sector",
                sa.Enum(
                    "health",
                    "education",
                    "labour",
                    "transport",
                    "culture_tourism",
                    "industry_trade",
                    "zone_board",
                    "mass_organisations",
                    "people_committee",
                    name="sector",
                    native_enum=False,
                    length=40,
                ),
                nullable=False,
                server_default="people_committee",
            )
        )
        batch_op.add_column(
            sa.Column("address", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("head_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("head_title", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                epitrace.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.alter_column(
            "kind",
            existing_type=sa.VARCHAR(length=20),
            type_=sa.Enum(
                "state_agency",
                "political_social",
                "public_service",
                "enterprise",
                "school",
                "health_facility",
                "transport",
                "hospitality",
                "market",
                "quarantine_area",
                "other",
                name="organisationkind",
                native_enum=False,
                length=40,
            ),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_organisation_sector"), ["sector"], unique=False)
        batch_op.create_index(batch_op.f("ix_organisation_tax_code"), ["tax_code"], unique=False)
    # the registry knew two kinds; an "agency" is a state agency
    op.execute("UPDATE organisation SET kind = 'state_agency' WHERE kind = 'agency'")

    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("poster_downloaded_at", epitrace.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.drop_column("poster_downloaded_at")

    op.execute("UPDATE organisation SET kind = 'agency' WHERE kind = 'state_agency'")
    op.execute("UPDATE organisation SET kind = 'enterprise' WHERE kind <> 'agency'")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_tax_code"))
        batch_op.drop_index(batch_op.f("ix_organisation_sector"))
        batch_op.alter_column(
            "kind",
            existing_type=sa.Enum(
                "state_agency",
                "political_social",
                "public_service",
                "enterprise",
                "school",
                "health_facility",
                "transport",
                "hospitality",
                "market",
                "quarantine_area",
                "other",
                name="organisationkind",
                native_enum=False,
                length=40,
            ),
            type_=sa.VARCHAR(length=20),
            existing_nullable=False,
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("head_title")
        batch_op.drop_column("head_name")
        batch_op.drop_column("address")
        batch_op.drop_column("sector")

    op.drop_table("sector_director")
    with op.batch_alter_table("organisation_admin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_admin_user_id"))

    op.drop_table("organisation_admin")
