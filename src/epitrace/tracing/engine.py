"""The contact engine: F1 and F2 of a case computed set-wise in SQL from presences.

For each source presence (the F0's inside its infectious window; an F1's after its exposure and
before its isolation) the database looks up, through the (venue_id, entered_at) index, the
presences at the same venue that started at most `max_presence_hours` before the source ended,
and keeps those overlapping by at least the category's threshold. Ends of open presences follow
the dwell-time rule. Times are compared in epoch seconds to the millisecond (`TOLERANCE`).
One statement finds every F1, one finds every F2; Python only writes the results.
"""

# ruff: noqa: S608 - the SQL is assembled from fixed fragments only; every value is bound
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Uuid, bindparam, delete, insert, text
from sqlalchemy.orm import Session

from epitrace.cases.models import Case
from epitrace.tracing.models import ContactLink, Trace
from epitrace.tracing.policy import Policy
from epitrace.venues.models import VenueCategory

TOLERANCE = 0.001  # seconds; float epochs are exact to well under this


@dataclass(frozen=True)
class Dialect:
    name: str

    def epoch(self, expr: str) -> str:
        if self.name == "postgresql":
            return f"EXTRACT(EPOCH FROM {expr})"
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


def _candidates(d: Dialect) -> str:
    """Pairs (source presence, other presence at the venue) overlapping enough, best per contact."""
    q_start = d.epoch("q.entered_at")
    q_end = _end(d, "q", "src.dwell")
    return f"""
pairs AS (
  SELECT src.skey_person, src.skey_mv, src.pid AS spid, q.id AS qid,
         q.person_id AS qperson, q.manual_visitor_id AS qmv, src.venue_id, src.ward_code,
         {d.greatest("src.s", q_start)} AS os, {d.least("src.e", q_end)} AS oe, src.thr
  FROM src JOIN presence q
    ON q.venue_id = src.venue_id
   AND q.entered_at < {d.ts("src.e + 1")}
   AND q.entered_at >= {d.ts(f"src.s - {d.num('cap')} - 1")}
  WHERE q.id <> src.pid
),
good AS (
  SELECT * FROM pairs
  WHERE oe - os > {TOLERANCE} AND oe - os >= thr - {TOLERANCE}
),
ranked AS (
  SELECT good.*,
         ROW_NUMBER() OVER (PARTITION BY qperson, qmv ORDER BY os, oe DESC, qid) AS rn,
         COUNT(*) OVER (PARTITION BY qperson, qmv) AS n
  FROM good
)
SELECT skey_person, skey_mv, spid, qid, qperson, qmv, venue_id, ward_code, os, oe, n
FROM ranked WHERE rn = 1
"""


def _src_columns(d: Dialect, alias: str, s_lo: str, e_hi: str) -> str:
    start = d.epoch(f"{alias}.entered_at")
    return f"""{alias}.id AS pid, {alias}.venue_id AS venue_id, v.ward_code AS ward_code,
         CASE WHEN v.small_room THEN {d.num("small_thr")} ELSE cat.thr_s END AS thr,
         cat.dwell_s AS dwell,
         {d.greatest(start, s_lo)} AS s,
         {d.least(_end(d, alias, "cat.dwell_s"), e_hi)} AS e"""


def f1_sql(d: Dialect, policy: Policy) -> tuple[str, dict[str, Any]]:
    cte, params = category_cte(policy)
    sql = f"""
WITH {cte},
src0 AS (
  SELECT p.person_id AS skey_person, p.manual_visitor_id AS skey_mv,
         {_src_columns(d, "p", d.num("ws"), d.num("we"))}
  FROM presence p JOIN venue v ON v.id = p.venue_id JOIN cat ON cat.category = v.category
  WHERE p.person_id = :pid
    AND p.entered_at >= {d.ts(f"{d.num('ws')} - {d.num('cap')} - 1")}
    AND p.entered_at < {d.ts(f"{d.num('we')} + 1")}
),
src AS (SELECT * FROM src0 WHERE e > s),
{_candidates(d)}"""
    return sql, params


def f2_sql(d: Dialect, policy: Policy) -> tuple[str, dict[str, Any]]:
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
    sql = f"""
WITH {cte},
f1 AS (
  SELECT l.person_id, l.manual_visitor_id, {xs} AS xs, {f1_end} AS xe
  FROM contact_link l WHERE l.case_id = :case_id AND l.level = 1
),
src0 AS (
  SELECT f1.person_id AS skey_person, f1.manual_visitor_id AS skey_mv, {src_cols}
  FROM f1 JOIN presence p ON p.person_id = f1.person_id
   AND p.entered_at >= {lo} AND p.entered_at < {hi}
  JOIN venue v ON v.id = p.venue_id JOIN cat ON cat.category = v.category
  UNION ALL
  SELECT f1.person_id AS skey_person, f1.manual_visitor_id AS skey_mv, {src_cols}
  FROM f1 JOIN presence p ON p.manual_visitor_id = f1.manual_visitor_id
   AND p.entered_at >= {lo} AND p.entered_at < {hi}
  JOIN venue v ON v.id = p.venue_id JOIN cat ON cat.category = v.category
),
src AS (SELECT * FROM src0 WHERE e > s),
{_candidates(d)}"""
    return sql, params


def contact_key(person_id: uuid.UUID | None, manual_visitor_id: uuid.UUID | None) -> str:
    if person_id is not None:
        return f"p:{person_id}"
    return f"m:{manual_visitor_id}"


def _from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


_COLUMNS: dict[str, Any] = {
    "skey_person": Uuid(),
    "skey_mv": Uuid(),
    "spid": Uuid(),
    "qid": Uuid(),
    "qperson": Uuid(),
    "qmv": Uuid(),
    "venue_id": Uuid(),
    "ward_code": String(),
    "os": Float(),
    "oe": Float(),
    "n": Integer(),
}


@dataclass(frozen=True)
class Found:
    """One contact found by a step: who, through whom, and the earliest proving overlap."""

    level: int
    person_id: uuid.UUID | None
    manual_visitor_id: uuid.UUID | None
    source_person_id: uuid.UUID | None
    source_manual_visitor_id: uuid.UUID | None
    contact_presence_id: uuid.UUID
    source_presence_id: uuid.UUID
    venue_id: uuid.UUID
    ward_code: str
    start: float
    end: float
    evidence_count: int

    @property
    def key(self) -> str:
        return contact_key(self.person_id, self.manual_visitor_id)


def _run(session: Session, sql: str, params: dict[str, Any], level: int) -> list[Found]:
    binds = [bindparam(name, type_=Uuid()) for name in ("pid", "case_id") if name in params]
    statement = text(sql).bindparams(*binds).columns(**_COLUMNS)
    return [
        Found(
            level=level,
            person_id=row.qperson,
            manual_visitor_id=row.qmv,
            source_person_id=row.skey_person,
            source_manual_visitor_id=row.skey_mv,
            contact_presence_id=row.qid,
            source_presence_id=row.spid,
            venue_id=row.venue_id,
            ward_code=row.ward_code,
            start=row.os,
            end=row.oe,
            evidence_count=row.n,
        )
        for row in session.execute(statement, params)
    ]


@dataclass(frozen=True)
class TraceOutcome:
    trace: Trace
    f1: list[Found]
    f2: list[Found]


def _store(session: Session, case: Case, trace: Trace, found: list[Found]) -> None:
    if not found:
        return
    session.execute(
        insert(ContactLink),
        [
            {
                "id": uuid.uuid4(),
                "case_id": case.id,
                "level": f.level,
                "contact_key": f.key,
                "person_id": f.person_id,
                "manual_visitor_id": f.manual_visitor_id,
                "source_key": contact_key(f.source_person_id, f.source_manual_visitor_id),
                "contact_presence_id": f.contact_presence_id,
                "source_presence_id": f.source_presence_id,
                "venue_id": f.venue_id,
                "ward_code": f.ward_code,
                "exposed_at": _from_epoch(f.start),
                "exposure_end": _from_epoch(f.end),
                "overlap_minutes": int((f.end - f.start + TOLERANCE) // 60),
                "evidence_count": f.evidence_count,
                "trace_id": trace.id,
                "created_at": trace.ran_at,
            }
            for f in found
        ],
    )


def trace_case(
    session: Session,
    *,
    case: Case,
    policy: Policy,
    as_of: datetime,
    ran_by: uuid.UUID | None = None,
) -> TraceOutcome:
    """Recompute the case's F1 and F2 from the data as it is now; replaces earlier links."""
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
    }
    sql, params = f1_sql(d, policy)
    f0_key = contact_key(case.person_id, None)
    f1 = [
        f
        for f in _run(
            session,
            sql,
            {**params, **common, "pid": case.person_id, "ws": ws.timestamp(), "we": we.timestamp()},
            1,
        )
        if f.key != f0_key
    ]
    _store(session, case, trace, f1)
    session.flush()
    sql, params = f2_sql(d, policy)
    excluded = {f0_key} | {f.key for f in f1}
    f2 = [
        f
        for f in _run(session, sql, {**params, **common, "case_id": case.id}, 2)
        if f.key not in excluded
    ]
    _store(session, case, trace, f2)
    trace.f1_count = len(f1)
    trace.f2_count = len(f2)
    trace.duration_ms = int((time.perf_counter() - started) * 1000)
    session.flush()
    return TraceOutcome(trace=trace, f1=f1, f2=f2)
