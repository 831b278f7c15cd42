"""The engine's statements use the partial indexes they were written for, on both databases:
a change to the long-stay predicate on one side only (the index or the query) would silently
read every presence of a venue again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid, bindparam, text

from epitrace.db import Database, UTCDateTime
from epitrace.tracing.engine import Dialect, f1_sql
from epitrace.tracing.policy import DEFAULT_POLICY

_PARTITION_INDEXES = """SELECT c.relname, p.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE c.relkind = 'i'"""


def _plan(db: Database, sql: str, params: dict[str, Any], binds: list[Any]) -> str:
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            # a handful of rows: make the planner show what it would do with millions
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            rows = conn.execute(text("EXPLAIN " + sql).bindparams(*binds), params).all()
            plan = "\n".join(str(r[0]) for r in rows)
            # a day partition's index is named after the partition: show the presence's own
            for child, parent in conn.execute(text(_PARTITION_INDEXES)):
                plan = plan.replace(f" {child} ", f" {parent} ")
            return plan
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql).bindparams(*binds), params).all()
        return "\n".join(str(r[-1]) for r in rows)


def test_tracing_reads_long_stays_through_their_partial_index(db: Database) -> None:
    d = Dialect(db.dialect)
    sql, params = f1_sql(d, DEFAULT_POLICY)
    params |= {
        "cap": 72 * 3600.0,
        "small_thr": 0.0,
        "asof": 1_800_000_000.0,
        "ws": 1_799_000_000.0,
        "we": 1_800_000_000.0,
        "pid": uuid.uuid4(),
        "case_id": uuid.uuid4(),
        "trace_id": uuid.uuid4(),
        "level": 1,
        "ran_at": None,
    }
    binds = [bindparam(n, type_=Uuid()) for n in ("pid", "case_id", "trace_id")]
    binds.append(bindparam("ran_at", type_=UTCDateTime()))
    plan = _plan(db, sql, params, binds)
    assert "ix_presence_long_stay" in plan, plan
    assert "ix_presence_tracing" in plan, plan


def test_door_visitors_are_found_through_the_partial_index(db: Database) -> None:
    sql = "SELECT id FROM presence WHERE manual_visitor_id = :v AND left_at IS NULL"
    plan = _plan(db, sql, {"v": uuid.uuid4()}, [bindparam("v", type_=Uuid())])
    assert "ix_presence_manual_visitor_id" in plan, plan
