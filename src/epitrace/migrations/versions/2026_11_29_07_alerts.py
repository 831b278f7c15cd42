"""alerts: the outbox (also the inbox), contact settings, SMS opt-outs, push subscriptions,
channel rate buckets and inbound SMS

Revision ID: 07_alerts_outbox
Revises: 06_merge
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "07_alerts_outbox"
down_revision: str | Sequence[str] | None = "06_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_state",
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("refilled_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_until", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_state")),
    )
    op.create_table(
        "inbound_sms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("received_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_sms")),
    )
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_sms_phone"), ["phone"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("group_key", sa.String(length=120), nullable=False),
        sa.Column("recipient_key", sa.String(length=60), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("ward_code", sa.String(length=16), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("fallback_channel", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("due_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.Column("provider_ref", sa.String(length=80), nullable=True),
        sa.Column("segments", sa.SmallInteger(), nullable=True),
        sa.Column("cost", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("dead_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expired_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint(
            "group_key", "recipient_key", name=op.f("uq_outbox_message_group_key_recipient_key")
        ),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_campaign", ["campaign_id", "status"], unique=False)
        batch_op.create_index(
            "ix_outbox_message_due",
            ["channel", "priority", "due_at"],
            unique=False,
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )
        batch_op.create_index(
            "ix_outbox_message_inbox",
            ["user_id", "id"],
            unique=False,
            postgresql_where=sa.text("user_id IS NOT NULL"),
            sqlite_where=sa.text("user_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_outbox_message_kind_created", ["kind", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_message_lease",
            ["status", "lease_until"],
            unique=False,
            postgresql_where=sa.text("status IN ('sending', 'sent')"),
            sqlite_where=sa.text("status IN ('sending', 'sent')"),
        )
        batch_op.create_index(
            "ix_outbox_message_provider_ref",
            ["channel", "provider_ref"],
            unique=False,
            postgresql_where=sa.text("provider_ref IS NOT NULL"),
            sqlite_where=sa.text("provider_ref IS NOT NULL"),
        )

    op.create_table(
        "sms_opt_out",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_opt_out")),
    )
    op.create_table(
        "contact_setting",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), nullable=False),
        sa.Column("push_enabled", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("reminder_start", sa.Time(), nullable=False),
        sa.Column("reminder_end", sa.Time(), nullable=False),
        sa.Column("updated_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_contact_setting_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_contact_setting")),
    )
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=60), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_push_subscription_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscription")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscription_endpoint")),
    )
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_subscription_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscription_user_id"))

    op.drop_table("push_subscription")
    op.drop_table("contact_setting")
    op.drop_table("sms_opt_out")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_message_provider_ref",
            postgresql_where=sa.text("provider_ref IS NOT NULL"),
            sqlite_where=sa.text("provider_ref IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_outbox_message_lease",
            postgresql_where=sa.text("status IN ('sending', 'sent')"),
            sqlite_where=sa.text("status IN ('sending', 'sent')"),
        )
        batch_op.drop_index("ix_outbox_message_kind_created")
        batch_op.drop_index(
            "ix_outbox_message_inbox",
            postgresql_where=sa.text("user_id IS NOT NULL"),
            sqlite_where=sa.text("user_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_outbox_message_due",
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )
        batch_op.drop_index("ix_outbox_message_campaign")

    op.drop_table("outbox_message")
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_sms_phone"))

    op.drop_table("inbound_sms")
    op.drop_table("channel_state")
