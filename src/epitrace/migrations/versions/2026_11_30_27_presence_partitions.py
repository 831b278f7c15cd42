"""checkins: presences partitioned by day on PostgreSQL; no foreign key points at a presence

On PostgreSQL the table is rebuilt as a table partitioned by range of `entered_at`, one
partition per UTC day and a DEFAULT partition for the rest; the rows are copied over. Its
keys hold the partition key (and the venue): primary key (id, venue_id, entered_at), unique
(client_key, venue_id, entered_at). The foreign keys of scan receipts and quarantine breaches
to a presence go (no key on `id` alone can exist); the purge unlinks them instead. On SQLite
the table of presences stays as it is (a rebuild would cascade to its children): only the new
unique index is added; its old unique key (client_key, venue_id) stays, stricter.

Revision ID: 27_presence_partitions
Revises: 26_presence_visitor_index
Create Date: 2026-11-30 27:00:00
"""

# ruff: noqa: S608 - the SQL is assembled from our own table and index names and dates
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "27_presence_partitions"
down_revision: str | Sequence[str] | None = "26_presence_visitor_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "presence_unpartitioned"
AHEAD_DAYS = 7  # as checkins.partitions does; the job keeps it up afterwards
OLDEST_DAYS = 400  # rows older than this go to the DEFAULT partition (the purge removes them)
INBOUND = (
    ("checkin_scan", "fk_checkin_scan_presence_id_presence", "SET NULL"),
    ("quarantine_breach", "fk_quarantine_breach_presence_id_presence", "CASCADE"),
)
FOREIGN_KEYS = (
    ("fk_presence_venue_id_venue", "venue_id", "venue"),
    ("fk_presence_person_id_person", "person_id", "person"),
    ("fk_presence_manual_visitor_id_manual_visitor", "manual_visitor_id", "manual_visitor"),
    ("fk_presence_recorded_by_user_account", "recorded_by", "user_account"),
)
NEW_UNIQUE = "uq_presence_client_key_venue_id_entered_at"
OLD_UNIQUE = "uq_presence_client_key_venue_id"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _day_ddl(day: date) -> str:
    lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
    hi = lo + timedelta(days=1)
    return (
        f"CREATE TABLE presence_p{day:%Y%m%d} PARTITION OF presence "
        f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
    )


def _secondary_indexes(table: str, keep_out: Sequence[str]) -> list[tuple[str, str]]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = :t"
        ),
        {"t": table},
    )
    # a partitioned table's index reads "ON ONLY": made again on a plain table, or the reverse
    return [(name, ddl.replace(" ON ONLY ", " ON ")) for name, ddl in rows if name not in keep_out]


def upgrade() -> None:
    if not _postgresql():
        for table, name, _ in INBOUND:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.drop_constraint(name, type_="foreignkey")
        op.create_index(
            NEW_UNIQUE,
            "presence",
            ["client_key", "venue_id", "entered_at"],
            unique=True,
            sqlite_where=sa.text("client_key IS NOT NULL"),
        )
        return
    bind = op.get_bind()
    for table, name, _ in INBOUND:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    # the indexes are made again on the new table, under the same names
    indexes = _secondary_indexes("presence", ("pk_presence", OLD_UNIQUE))
    for name, _ in indexes:
        op.execute(f"DROP INDEX {name}")
    op.execute(f"ALTER TABLE presence RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_presence TO pk_{OLD}")
    op.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT {OLD_UNIQUE}")
    for name, _, _ in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT {name}")
    op.execute(
        f"CREATE TABLE presence (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (entered_at)"
    )
    today = datetime.now(UTC).date()
    days = {today + timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)}
    stored = bind.execute(
        sa.text(
            f"SELECT DISTINCT CAST(timezone('UTC', entered_at) AS date) FROM {OLD} "
            "WHERE entered_at >= :lo AND entered_at < :hi"
        ),
        {
            "lo": datetime.now(UTC) - timedelta(days=OLDEST_DAYS),
            "hi": datetime.now(UTC) + timedelta(days=AHEAD_DAYS + 1),
        },
    )
    days.update(day for (day,) in stored)
    for day in sorted(days):
        op.execute(_day_ddl(day))
    op.execute("CREATE TABLE presence_default PARTITION OF presence DEFAULT")
    op.execute(f"INSERT INTO presence SELECT * FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")
    op.execute(
        "ALTER TABLE presence ADD CONSTRAINT pk_presence PRIMARY KEY (id, venue_id, entered_at)"
    )
    op.execute(
        f"CREATE UNIQUE INDEX {NEW_UNIQUE} ON presence (client_key, venue_id, entered_at) "
        "WHERE client_key IS NOT NULL"
    )
    for name, column, target in FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE presence ADD CONSTRAINT {name} "
            f"FOREIGN KEY ({column}) REFERENCES {target} (id)"
        )
    for _, ddl in indexes:
        op.execute(ddl)
    op.execute("ANALYZE presence")


def _unlink_dangling() -> None:
    op.execute(
        "UPDATE checkin_scan SET presence_id = NULL WHERE presence_id IS NOT NULL "
        "AND presence_id NOT IN (SELECT id FROM presence)"
    )
    op.execute("DELETE FROM quarantine_breach WHERE presence_id NOT IN (SELECT id FROM presence)")


def downgrade() -> None:
    if not _postgresql():
        op.drop_index(NEW_UNIQUE, table_name="presence")
        _unlink_dangling()
        for table, name, ondelete in INBOUND:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.create_foreign_key(
                    name, "presence", ["presence_id"], ["id"], ondelete=ondelete
                )
        return
    indexes = _secondary_indexes("presence", ("pk_presence", NEW_UNIQUE))
    for name, _ in indexes:
        op.execute(f"DROP INDEX {name}")
    op.execute(f"ALTER TABLE presence RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_presence TO pk_{OLD}")
    op.execute(f"DROP INDEX {NEW_UNIQUE}")
    op.execute(f"CREATE TABLE presence (LIKE {OLD} INCLUDING DEFAULTS)")
    op.execute(f"INSERT INTO presence SELECT * FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")  # its partitions go with it
    op.execute("ALTER TABLE presence ADD CONSTRAINT pk_presence PRIMARY KEY (id)")
    op.execute(f"ALTER TABLE presence ADD CONSTRAINT {OLD_UNIQUE} UNIQUE (client_key, venue_id)")
    for name, column, target in FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE presence ADD CONSTRAINT {name} "
            f"FOREIGN KEY ({column}) REFERENCES {target} (id)"
        )
    for _, ddl in indexes:
        op.execute(ddl)
    _unlink_dangling()
    for table, name, ondelete in INBOUND:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (presence_id) "
            f"REFERENCES presence (id) ON DELETE {ondelete}"
        )
