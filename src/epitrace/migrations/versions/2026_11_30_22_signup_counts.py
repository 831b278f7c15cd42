"""rollout: citizens signed up per ward, kept by triggers in the transaction of every write

Revision ID: 22_signup_counts
Revises: 21_checkin_rollup
Create Date: 2026-11-30 22:00:00

`ward_signup_count` holds, per ward, the citizen accounts whose person lives in it (whenever
they were created). Triggers keep it in every write, whichever code path does it: an account
inserted or deleted, its `kind` or `person_id` changed (identity linking, merges), a person's
`ward_code` changed or a person deleted. PostgreSQL: statement-level triggers with transition
tables (one set-based upsert per statement, so a bulk load stays set-based); SQLite: row-level
triggers. The counts are filled from the rows already stored, in the same transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "22_signup_counts"
down_revision: str | Sequence[str] | None = "21_checkin_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# -- PostgreSQL -------------------------------------------------------------------------

# Deltas of one statement, summed per ward and added in one upsert (a ward at most once; the
# wards' rows locked in the order of their codes, so two statements moving accounts between
# the same wards wait for each other rather than deadlock).
_PG_APPLY = """
    INSERT INTO ward_signup_count (ward_code, citizens)
    SELECT ward_code, sum(n) FROM ({deltas}) AS d
    GROUP BY ward_code HAVING sum(n) <> 0 ORDER BY ward_code
    ON CONFLICT (ward_code)
    DO UPDATE SET citizens = ward_signup_count.citizens + EXCLUDED.citizens;
"""
_PG_ACCOUNTS_ADDED = """
    SELECT p.ward_code, 1 AS n FROM new_rows a JOIN person p ON p.id = a.person_id
    WHERE a.kind = 'citizen' AND p.ward_code IS NOT NULL
"""
_PG_ACCOUNTS_REMOVED = """
    SELECT p.ward_code, -1 AS n FROM old_rows a JOIN person p ON p.id = a.person_id
    WHERE a.kind = 'citizen' AND p.ward_code IS NOT NULL
"""
_PG_PEOPLE_MOVED = """
    SELECT o.ward_code, -1 AS n FROM old_rows o JOIN new_rows w ON w.id = o.id
    JOIN user_account a ON a.person_id = o.id AND a.kind = 'citizen'
    WHERE o.ward_code IS NOT NULL AND o.ward_code IS DISTINCT FROM w.ward_code
    UNION ALL
    SELECT w.ward_code, 1 AS n FROM old_rows o JOIN new_rows w ON w.id = o.id
    JOIN user_account a ON a.person_id = w.id AND a.kind = 'citizen'
    WHERE w.ward_code IS NOT NULL AND o.ward_code IS DISTINCT FROM w.ward_code
"""
_PG_PEOPLE_REMOVED = """
    SELECT o.ward_code, -1 AS n FROM old_rows o
    JOIN user_account a ON a.person_id = o.id AND a.kind = 'citizen'
    WHERE o.ward_code IS NOT NULL
"""

_PG_FUNCTIONS = {
    "ward_signup_count_accounts": f"""
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_PG_APPLY.format(deltas=_PG_ACCOUNTS_ADDED)}
            ELSIF TG_OP = 'DELETE' THEN
                {_PG_APPLY.format(deltas=_PG_ACCOUNTS_REMOVED)}
            ELSE
                {_PG_APPLY.format(deltas=_PG_ACCOUNTS_ADDED + " UNION ALL " + _PG_ACCOUNTS_REMOVED)}
            END IF;
            RETURN NULL;
        END
    """,
    "ward_signup_count_people": f"""
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                {_PG_APPLY.format(deltas=_PG_PEOPLE_MOVED)}
            ELSE
                {_PG_APPLY.format(deltas=_PG_PEOPLE_REMOVED)}
            END IF;
            RETURN NULL;
        END
    """,
}
# (trigger, table, event, transition tables, function)
_PG_TRIGGERS = (
    ("ward_signup_account_insert", "user_account", "INSERT", "NEW TABLE AS new_rows", "accounts"),
    ("ward_signup_account_delete", "user_account", "DELETE", "OLD TABLE AS old_rows", "accounts"),
    (
        "ward_signup_account_update",
        "user_account",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "accounts",
    ),
    (
        "ward_signup_person_update",
        "person",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "people",
    ),
    ("ward_signup_person_delete", "person", "DELETE", "OLD TABLE AS old_rows", "people"),
)

# -- SQLite -----------------------------------------------------------------------------


def _sqlite_add(ward: str, count: str, where: str) -> str:
    """Add `count` citizens to `ward` (both SQL expressions), creating the ward's row."""
    return f"""
        INSERT INTO ward_signup_count (ward_code, citizens)
        SELECT {ward}, {count} WHERE {ward} IS NOT NULL AND {where}
        ON CONFLICT (ward_code) DO UPDATE SET citizens = citizens + excluded.citizens;
    """


def _sqlite_remove(ward: str, count: str, where: str) -> str:
    # (SQL fragments of this file, never input)
    return f"UPDATE ward_signup_count SET citizens = citizens - {count} WHERE ward_code = {ward} AND {where};"  # noqa: S608


_WARD_OF_NEW = "(SELECT ward_code FROM person WHERE id = NEW.person_id)"
_WARD_OF_OLD = "(SELECT ward_code FROM person WHERE id = OLD.person_id)"
_ACCOUNTS_OF = "(SELECT count(*) FROM user_account WHERE person_id = {}.id AND kind = 'citizen')"
_SQLITE_TRIGGERS = {
    "ward_signup_account_insert": f"""
        AFTER INSERT ON user_account
        BEGIN
            {_sqlite_add(_WARD_OF_NEW, "1", "NEW.kind = 'citizen'")}
        END
    """,
    "ward_signup_account_delete": f"""
        AFTER DELETE ON user_account
        BEGIN
            {_sqlite_remove(_WARD_OF_OLD, "1", "OLD.kind = 'citizen'")}
        END
    """,
    "ward_signup_account_update": f"""
        AFTER UPDATE OF kind, person_id ON user_account
        BEGIN
            {_sqlite_remove(_WARD_OF_OLD, "1", "OLD.kind = 'citizen'")}
            {_sqlite_add(_WARD_OF_NEW, "1", "NEW.kind = 'citizen'")}
        END
    """,
    "ward_signup_person_update": f"""
        AFTER UPDATE OF ward_code ON person
        WHEN OLD.ward_code IS NOT NEW.ward_code
        BEGIN
            {_sqlite_remove("OLD.ward_code", _ACCOUNTS_OF.format("OLD"), "1")}
            {_sqlite_add("NEW.ward_code", _ACCOUNTS_OF.format("NEW"), _ACCOUNTS_OF.format("NEW") + " > 0")}
        END
    """,
    "ward_signup_person_delete": f"""
        AFTER DELETE ON person
        BEGIN
            {_sqlite_remove("OLD.ward_code", _ACCOUNTS_OF.format("OLD"), "1")}
        END
    """,
}

_BACKFILL = """
    INSERT INTO ward_signup_count (ward_code, citizens)
    SELECT p.ward_code, count(*) FROM user_account a JOIN person p ON p.id = a.person_id
    WHERE a.kind = 'citizen' AND p.ward_code IS NOT NULL
    GROUP BY p.ward_code
"""


def upgrade() -> None:
    op.create_table(
        "ward_signup_count",
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("citizens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ward_code", name=op.f("pk_ward_signup_count")),
    )
    op.create_index("ix_user_account_created", "user_account", ["created_at"], unique=False)
    if op.get_context().dialect.name == "postgresql":
        # the triggers lock both tables against writes until the counts below are committed
        for name, body in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn${body}$fn$"
            )
        for trigger, table, event, transition, function in _PG_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION ward_signup_count_{function}()"
            )
    else:
        for trigger, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {trigger} {body}")
    op.execute(_BACKFILL)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for trigger, table, *_ in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_index("ix_user_account_created", table_name="user_account")
    op.drop_table("ward_signup_count")
