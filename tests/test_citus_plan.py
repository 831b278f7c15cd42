"""The scale-out plan of docs/scaling.md ("Beyond one machine"), checked on the migrated
schema: which tables Citus would distribute and by which column, which would be reference
tables, and what in today's schema stands in the way.

Citus needs every primary and unique key of a distributed table to include its distribution
column, and a foreign key from a distributed table to point at a reference table or at a
table distributed (and co-located) by the same column; a foreign key from another table to a
distributed one must likewise follow the distribution column. The test lists every breach of
those rules for the plan below and compares them with the known ones: a new table, key or
foreign key that breaks the plan fails here, and a breach that is mended must be taken off
the list (docs/scaling.md says what remains).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from epitrace.db import Database

# the big tables that grow with check-ins, spread over workers by the column their hot
# queries name (a venue's presences for tracing and the door log)
DISTRIBUTED = {"presence": "venue_id"}
# copied to every worker: small, read everywhere, joined to the distributed tables
REFERENCE = {"admin_unit", "venue", "tracing_policy", "organisation"}

KNOWN = {
    "presence.person_id -> person: not a reference table",
    "presence.manual_visitor_id -> manual_visitor: not a reference table",
    "presence.recorded_by -> user_account: not a reference table",
}

# Citus is PostgreSQL: the schema checked is the one migrated there (day-partitioned presences
# keyed by (id, venue_id, entered_at)); SQLite keeps the plain table keyed by id.
postgresql_only = pytest.mark.parametrize("backend", ["postgresql"])


def _breaches(db: Database) -> set[str]:
    inspector = inspect(db.engine)
    tables = set(inspector.get_table_names())
    out: set[str] = set()
    for table, column in DISTRIBUTED.items():
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        if column not in pk:
            out.add(f"{table}: primary key ({', '.join(pk)}) lacks {column}")
        uniques: list[dict[str, Any]] = [
            *inspector.get_unique_constraints(table),
            *(i for i in inspector.get_indexes(table) if i.get("unique")),
        ]
        for unique in uniques:
            if column not in unique["column_names"]:
                out.add(f"{table}: unique {unique['name']} lacks {column}")
        for fk in inspector.get_foreign_keys(table):
            target = fk["referred_table"]
            if target in REFERENCE:
                continue
            if target in DISTRIBUTED and fk["constrained_columns"] == [column]:
                continue
            local = ", ".join(fk["constrained_columns"])
            out.add(f"{table}.{local} -> {target}: not a reference table")
    for table in tables - set(DISTRIBUTED):
        for fk in inspector.get_foreign_keys(table):
            target = fk["referred_table"]
            if target in DISTRIBUTED and fk["referred_columns"] != [DISTRIBUTED[target]]:
                local = ", ".join(fk["constrained_columns"])
                out.add(f"{table}.{local} -> {target}: not by {DISTRIBUTED[target]}")
    return out


@postgresql_only
def test_the_plan_names_existing_tables(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert set(DISTRIBUTED) <= tables
    assert tables >= REFERENCE


@postgresql_only
def test_what_stands_in_the_way_of_the_plan_is_known(db: Database) -> None:
    assert _breaches(db) == KNOWN
