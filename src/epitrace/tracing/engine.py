"""The contact engine: F1 and F2 of a case computed set-wise in SQL from presences.

For each source presence (the F0's inside its infectious window; an F1's after its exposure and
before its isolation) the database looks up, through the (venue_id, entered_at) index, the
presences at the same venue that started at most `max_presence_hours` before the source ended,
and keeps those overlapping by at least the category's threshold. Ends of open presences follow
the dwell-time rule. Times are compared in epoch seconds to the millisecond (`TOLERANCE`).
One INSERT … SELECT stores every F1, one every F2; no rows travel through Python.
"""

# ruff: noqa: S608 - the SQL is assembled from fixed fragments only; every value is bound
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from epitrace.cases.models import Case
from epitrace.db import UTCDateTime
from epitrace.tracing.models import LONG_STAY, LONG_STAY_HOURS, ContactLink, Trace
from epitrace.tracing.policy import Policy
from epitrace.venues.models import VenueCategory

TOLERANCE = 0.001  # seconds; float epochs are exact to well under this


@dataclass(frozen=True)
class Dialect:
    name: str

    def epoch(self, expr: str) -> str:
        if self.name == "postgresql":
            return f"date_part('epoch', {expr})"
        return f"((julianday({expr}) - 2440587.5) * 86400.0)"

    def ts(self, expr: str) -> str:
        """A value comparable with stored datetimes, from epoch seconds (used with slack)."""
        if self.name == "postgresql":
            return f"to_timestamp({expr})"
        return f"strftime('%Y-%m-%d %H:%M:%f', {expr}, 'unixepoch')"

    def greatest(self, *args: str) -> str:
        return ("GREATEST" if self.name == "postgresql" else "max") + f"({', '.join(args)})"

    def least(self, *args: str) -> str:
        return ("LEAST" if self.name == "postgresql" else "min") + f"({', '.join(args)})"

    def key(self, prefix: str, column: str) -> str:
        """'p:<uuid>' text as `contact_key` makes it (SQLite stores uuids as 32 hex digits)."""
        if self.name == "postgresql":
            return f"'{prefix}:' || CAST({column} AS TEXT)"
        parts = " || '-' || ".join(
            f"substr({column}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )
        return f"'{prefix}:' || lower({parts})"

    def stamp(self, expr: str) -> str:
        """A datetime value to store, from epoch seconds."""
        if self.name == "postgresql":
            return f"to_timestamp({expr})"
        return f"strftime('%Y-%m-%d %H:%M:%f', {expr}, 'unixepoch') || '000'"

    def minutes(self, expr: str) -> str:
        """Whole minutes of an overlap in seconds, rounded, and at least 1.

        A link exists only for a real overlap, so a 40-second ride together is shown as
        "1 phút", never as "0 phút".
        """
        if self.name == "postgresql":
            return f"GREATEST(1, CAST(round(({expr}) / 60) AS INTEGER))"
        return f"max(1, CAST(round(({expr}) / 60) AS INTEGER))"

    def num(self, param: str) -> str:
        # PostgreSQL needs the type of a bound number used in arithmetic.
        return f"CAST(:{param} AS DOUBLE PRECISION)" if self.name == "postgresql" else f":{param}"


def category_cte(policy: Policy) -> tuple[str, dict[str, Any]]:
    rows: list[str] = []
    params: dict[str, Any] = {}
    for i, category in enumerate(VenueCategory):
        params[f"c{i}"] = category.value
        params[f"d{i}"] = policy.dwell_for(category.value) * 60
        params[f"t{i}"] = policy.threshold_for(category.value, small_room=False) * 60
        rows.append(f"(:c{i}, :d{i}, :t{i})")
    return f"cat(category, dwell_s, thr_s) AS (VALUES {', '.join(rows)})", params


def _end(d: Dialect, alias: str, dwell: str) -> str:
    start = d.epoch(f"{alias}.entered_at")
    return d.least(
        f"COALESCE({d.epoch(f'{alias}.left_at')}, {start} + {dwell})", f"{start} + {d.num('cap')}"
    )


def _key(d: Dialect, person: str, visitor: str) -> str:
    return (
        f"CASE WHEN {person} IS NOT NULL THEN {d.key('p', person)} ELSE {d.key('m', visitor)} END"
    )


def _insert(d: Dialect) -> str:
    columns = (
        "case_id, level, contact_key, person_id, manual_visitor_id, source_key, "
        "contact_presence_id, source_presence_id, venue_id, ward_code, exposed_at, exposure_end, "
        "overlap_minutes, evidence_count, trace_id, created_at"
    )
    return f"""INSERT INTO contact_link ({columns})
SELECT :case_id, :level, {_key(d, "qperson", "qmv")}, qperson, qmv,
       {_key(d, "skey_person", "skey_mv")}, qid, spid, venue_id, ward_code,
       {d.stamp("os")}, {d.stamp("oe")}, {d.minutes(f"oe - os + {TOLERANCE}")}, n,
       :trace_id, :ran_at
FROM ranked"""


def _entered_within(d: Dialect, alias: str, lo: str, hi: str) -> str:
    """Bounds of entry known before the query runs (from the bound window): on PostgreSQL
    they prune the day partitions of presences to the window's days when the plan is made."""
    return f"{alias}.entered_at >= {d.ts(lo)} AND {alias}.entered_at < {d.ts(hi)}"


def _candidates(d: Dialect, table: str, lo: str, hi: str) -> str:
    """Pairs (source presence, other presence at the venue) overlapping enough, best per contact.

    Every presence that started up to `LONG_STAY_HOURS` before the source comes from the
    covering venue index; one that started earlier (up to the policy's cap) can still
    overlap only if it is long, and those come from the small partial index of long stays.
    The two ranges do not meet, so no pair is found twice. Every source lies within epoch
    seconds [lo + cap + 1, hi - 1], so every pair's other presence entered within [lo, hi).
    """
    q_start = d.epoch("q.entered_at")
    q_end = _end(d, "q", "src.dwell")
    long_s = float(LONG_STAY_HOURS * 3600)
    columns = f"""src.skey_person, src.skey_mv, src.pid AS spid, q.id AS qid,
         q.person_id AS qperson, q.manual_visitor_id AS qmv, src.venue_id, src.ward_code,
         {d.greatest("src.s", q_start)} AS os, {d.least("src.e", q_end)} AS oe, src.thr"""
    cap = d.num("cap")
    recent = d.least(cap, repr(long_s))
    long_stay = re.sub(r"\b(left_at|entered_at)\b", r"q.\1", LONG_STAY[d.name])
    return f"""
pairs AS (
  SELECT {columns}
  FROM src JOIN {table} q
    ON q.venue_id = src.venue_id
   AND q.entered_at < {d.ts("src.e + 1")}
   AND q.entered_at >= {d.ts(f"src.s - {recent} - 1")}
  WHERE q.id <> src.pid AND {_entered_within(d, "q", lo, hi)}
  UNION ALL
  SELECT {columns}
  FROM src JOIN {table} q
    ON q.venue_id = src.venue_id
   AND q.entered_at < {d.ts(f"src.s - {long_s!r} - 1")}
   AND q.entered_at >= {d.ts(f"src.s - {cap} - 1")}
  WHERE q.id <> src.pid AND ({long_stay}) AND {_entered_within(d, "q", lo, hi)}
),
good AS (
  SELECT * FROM pairs
  WHERE oe - os > {TOLERANCE} AND oe - os >= thr - {TOLERANCE}
),
ranked AS (
  SELECT good.*,
         ROW_NUMBER() OVER (PARTITION BY qperson, qmv ORDER BY os, oe DESC, qid, spid) AS rn,
         COUNT(*) OVER (PARTITION BY qperson, qmv) AS n
  FROM good
)
{_insert(d)}
WHERE rn = 1 AND (qperson IS NULL OR qperson <> :pid)"""


def _src_columns(d: Dialect, alias: str, s_lo: str, e_hi: str) -> str:
    start = d.epoch(f"{alias}.entered_at")
    return f"""{alias}.id AS pid, {alias}.venue_id AS venue_id, v.ward_code AS ward_code,
         CASE WHEN v.small_room THEN {d.num("small_thr")} ELSE cat.thr_s END AS thr,
         cat.dwell_s AS dwell,
         {d.greatest(start, s_lo)} AS s,
         {d.least(_end(d, alias, "cat.dwell_s"), e_hi)} AS e"""


def f1_sql(d: Dialect, policy: Policy, table: str = "presence") -> tuple[str, dict[str, Any]]:
    cte, params = category_cte(policy)
    sql = f"""
WITH {cte},
src0 AS (
  SELECT p.person_id AS skey_person, p.manual_visitor_id AS skey_mv,
         {_src_columns(d, "p", d.num("ws"), d.num("we"))}
  FROM {table} p JOIN venue v ON v.id = p.venue_id JOIN cat ON cat.category = v.category
  WHERE p.person_id = :pid
    AND p.entered_at >= {d.ts(f"{d.num('ws')} - {d.num('cap')} - 1")}
    AND p.entered_at < {d.ts(f"{d.num('we')} + 1")}
),
src AS (SELECT * FROM src0 WHERE e > s),
{_candidates(d, table, f"{d.num('ws')} - {d.num('cap')} - 1", f"{d.num('we')} + 1")}"""
    return sql, params


def f2_sql(d: Dialect, policy: Policy, table: str = "presence") -> tuple[str, dict[str, Any]]:
    # `f1 CROSS JOIN presence` makes SQLite drive the lookups from the few F1s (its planner
    # knows nothing of the CTE's size); PostgreSQL plans it as the same inner join.
    cte, params = category_cte(policy)
    xs = d.epoch("l.exposed_at")
    quarantine = (
        f"(SELECT MIN({d.epoch('o.starts_at')}) FROM quarantine_order o "
        "WHERE o.person_id = l.person_id AND o.starts_at >= l.exposed_at "
        "AND o.status <> 'cancelled')"
    )
    isolation = (
        f"(SELECT MIN({d.epoch('c.isolated_at')}) FROM case_record c "
        "WHERE c.person_id = l.person_id AND c.isolated_at >= l.exposed_at)"
    )
    asof = d.num("asof")
    f1_end = d.least(f"COALESCE({quarantine}, {asof})", f"COALESCE({isolation}, {asof})", asof)
    src_cols = _src_columns(d, "p", "f1.xs", "f1.xe")
    lo = d.ts(f"f1.xs - {d.num('cap')} - 1")
    hi = d.ts("f1.xe + 1")
    # an F1's exposure starts inside the F0's window (at or after ws) and ends by as_of
    all_lo, all_hi = f"{d.num('ws')} - {d.num('cap')} - 1", f"{d.num('asof')} + 1"
    within = _entered_within(d, "p", all_lo, all_hi)
    sql = f"""
WITH {cte},
f1 AS (
  SELECT l.person_id, l.manual_visitor_id, {xs} AS xs, {f1_end} AS xe
  FROM contact_link l WHERE l.case_id = :case_id AND l.level = 1
),
src0 AS (
  SELECT f1.person_id AS skey_person, f1.manual_visitor_id AS skey_mv, {src_cols}
  FROM f1 CROSS JOIN {table} p CROSS JOIN venue v CROSS JOIN cat
  WHERE v.id = p.venue_id AND cat.category = v.category
   AND f1.person_id IS NOT NULL AND p.person_id = f1.person_id
   AND p.entered_at >= {lo} AND p.entered_at < {hi} AND {within}
  UNION ALL
  SELECT f1.person_id AS skey_person, f1.manual_visitor_id AS skey_mv, {src_cols}
  FROM f1 CROSS JOIN {table} p CROSS JOIN venue v CROSS JOIN cat
  WHERE v.id = p.venue_id AND cat.category = v.category
   AND f1.manual_visitor_id IS NOT NULL AND p.manual_visitor_id IS NOT NULL
   AND p.manual_visitor_id = f1.manual_visitor_id
   AND p.entered_at >= {lo} AND p.entered_at < {hi} AND {within}
),
src AS (SELECT * FROM src0 WHERE e > s),
{_candidates(d, table, all_lo, all_hi)}
  AND (qperson IS NULL
       OR qperson NOT IN (SELECT person_id FROM f1 WHERE person_id IS NOT NULL))
  AND (qmv IS NULL
       OR qmv NOT IN (SELECT manual_visitor_id FROM f1 WHERE manual_visitor_id IS NOT NULL))"""
    return sql, params


def contact_key(person_id: uuid.UUID | None, manual_visitor_id: uuid.UUID | None) -> str:
    if person_id is not None:
        return f"p:{person_id}"
    return f"m:{manual_visitor_id}"


@dataclass(frozen=True)
class TraceOutcome:
    trace: Trace

    @property
    def f1_count(self) -> int:
        return self.trace.f1_count

    @property
    def f2_count(self) -> int:
        return self.trace.f2_count


_UUIDS = ("pid", "case_id", "trace_id")


def _execute(session: Session, sql: str, params: dict[str, Any]) -> None:
    binds: list[Any] = [bindparam(name, type_=Uuid()) for name in _UUIDS if name in params]
    binds.append(bindparam("ran_at", type_=UTCDateTime()))
    session.execute(text(sql).bindparams(*binds), params)


def trace_case(
    session: Session,
    *,
    case: Case,
    policy: Policy,
    as_of: datetime,
    ran_by: uuid.UUID | None = None,
    presence_table: str = "presence",
) -> TraceOutcome:
    """Recompute the case's F1 and F2 from the data as it is now; replaces earlier links.

    `presence_table` names a table of the presences' columns to trace from instead (the
    escrow mode's temporary table of opened identities).
    """
    if not re.fullmatch(r"[a-z_]+", presence_table):
        raise ValueError("a table name")
    started = time.perf_counter()
    d = Dialect(session.get_bind().dialect.name)
    ws, we = policy.infectious_window(
        onset_at=case.onset_at,
        sampled_at=case.sampled_at,
        isolated_at=case.isolated_at,
        as_of=as_of,
    )
    trace = Trace(
        id=uuid.uuid4(),
        case_id=case.id,
        policy_version=policy.version,
        window_start=ws,
        window_end=we,
        ran_at=as_of,
        ran_by=ran_by,
    )
    session.add(trace)
    session.execute(delete(ContactLink).where(ContactLink.case_id == case.id))
    session.flush()
    common = {
        "cap": float(policy.max_presence_hours * 3600),
        "small_thr": float(policy.small_room_overlap_minutes * 60),
        "asof": as_of.timestamp(),
        "pid": case.person_id,
        "case_id": case.id,
        "trace_id": trace.id,
        "ran_at": as_of,
    }
    sql, params = f1_sql(d, policy, presence_table)
    window = {"ws": ws.timestamp(), "we": we.timestamp()}
    _execute(session, sql, {**params, **common, **window, "level": 1})
    sql, params = f2_sql(d, policy, presence_table)
    _execute(session, sql, {**params, **common, "ws": window["ws"], "level": 2})
    rows = session.execute(
        select(ContactLink.level, func.count())
        .where(ContactLink.case_id == case.id)
        .group_by(ContactLink.level)
    )
    counts = {int(level): int(n) for level, n in rows}
    trace.f1_count = counts.get(1, 0)
    trace.f2_count = counts.get(2, 0)
    trace.duration_ms = int((time.perf_counter() - started) * 1000)
    session.flush()
    return TraceOutcome(trace=trace)
