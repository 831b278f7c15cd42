"""exposure: verification codes, uploaded keys, export batches, reported exposures

Revision ID: 05_exposure
Revises: 0001_foundation
Create Date: 2026-11-25 22:09:09.193634
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "05_exposure"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exposure_export_batch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("start_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("end_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("batch_num", sa.Integer(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("key_count", sa.Integer(), nullable=False),
        sa.Column("padding_count", sa.Integer(), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signing_kid", sa.Integer(), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_export_batch")),
        sa.UniqueConstraint("name", name=op.f("uq_exposure_export_batch_name")),
    )
    with op.batch_alter_table("exposure_export_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exposure_export_batch_end_timestamp"), ["end_timestamp"], unique=False
        )

    op.create_table(
        "exposure_report",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("exposure_date", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("windows", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_exposure_report_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ward_code"], ["admin_unit.code"], name=op.f("fk_exposure_report_ward_code_admin_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_report")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_exposure_report_idempotency_key")),
    )
    with op.batch_alter_table("exposure_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exposure_report_exposure_date"), ["exposure_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_report_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_report_ward_code"), ["ward_code"], unique=False
        )

    op.create_table(
        "exposure_verification_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("report_type", sa.Integer(), nullable=False),
        sa.Column("test_date", sa.Date(), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("keys_uploaded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["admin_unit.code"],
            name=op.f("fk_exposure_verification_code_area_code_admin_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["user_account.id"],
            name=op.f("fk_exposure_verification_code_issued_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_verification_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_exposure_verification_code_code_hash")),
    )
    with op.batch_alter_table("exposure_verification_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exposure_verification_code_area_code"), ["area_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_verification_code_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "exposure_key",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key_data", sa.LargeBinary(length=16), nullable=False),
        sa.Column("rolling_start_interval_number", sa.BigInteger(), nullable=False),
        sa.Column("rolling_period", sa.Integer(), nullable=False),
        sa.Column("report_type", sa.Integer(), nullable=False),
        sa.Column("days_since_onset", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("verification_code_id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("publish_after", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["exposure_export_batch.id"],
            name=op.f("fk_exposure_key_batch_id_exposure_export_batch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["verification_code_id"],
            ["exposure_verification_code.id"],
            name=op.f("fk_exposure_key_verification_code_id_exposure_verification_code"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_key")),
        sa.UniqueConstraint("key_data", name=op.f("uq_exposure_key_key_data")),
    )
    with op.batch_alter_table("exposure_key", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exposure_key_batch_publish", ["batch_id", "publish_after"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_key_rolling_start_interval_number"),
            ["rolling_start_interval_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_exposure_key_verification_code_id"),
            ["verification_code_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("exposure_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_key_verification_code_id"))
        batch_op.drop_index(batch_op.f("ix_exposure_key_rolling_start_interval_number"))
        batch_op.drop_index("ix_exposure_key_batch_publish")
    op.drop_table("exposure_key")
    with op.batch_alter_table("exposure_verification_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_verification_code_case_id"))
        batch_op.drop_index(batch_op.f("ix_exposure_verification_code_area_code"))
    op.drop_table("exposure_verification_code")
    with op.batch_alter_table("exposure_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_report_ward_code"))
        batch_op.drop_index(batch_op.f("ix_exposure_report_person_id"))
        batch_op.drop_index(batch_op.f("ix_exposure_report_exposure_date"))
    op.drop_table("exposure_report")
    with op.batch_alter_table("exposure_export_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_export_batch_end_timestamp"))
    op.drop_table("exposure_export_batch")
