"""Oversight of staff access to named people, read from the audit log.

Two things are found here (docs/privacy.md, "Purpose-bound staff access"):

- **Unusual access** (`detect`): in one window (an hour by default) an account that read more
  named people than `access_flag_people` outside case work (`CASE_WORK`: the case, quarantine
  and contact lists, records read for an active case), or that read at least
  `access_flag_outside_people`
  people outside the units it usually works in. "Usually" is learnt from the account's own
  reads over the previous `access_flag_history_days`: the units one level above the wards of
  the people it read (districts in a three-level hierarchy, provinces in today's two-level
  one). An account with fewer than `access_flag_history_min` people read has no usual units
  yet and is judged by the first rule only.
- **The audit report** (`report`): per account or per unit, the reads of named people in a
  period, the distinct people, the purposes stated and the flags raised.

"Named people" are the subjects of audit entries of type person (one id), and the ids a
search or match listed (`detail.ids`, `detail.matched`).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person, RoleGrant, UserAccount
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from epitrace.places.models import AdminUnit
from epitrace.security import audit
from epitrace.security.models import AccessFlag, AuditEntry

PERSON_SUBJECT = "person"
# Reads made in the course of case work: the lists and pages of cases, quarantine orders and
# contacts (each names many people, every time it is opened), and health records read for an
# active case. They stay in the report and in the area rule, but the "many people" rule does
# not count them: a ward's quarantine list of 80 people is work, not curiosity.
CASE_WORK = frozenset(
    {
        "case",
        "case list",
        "case page",
        "quarantine list",
        "contact tracing",
        "contact tracing export",
        "active_case",
        "case_contact",
        "active_quarantine",
    }
)
KINDS = ("many_people", "outside_area")


@dataclass
class _Read:
    actor_id: uuid.UUID
    actor_label: str
    at: datetime
    people: set[str]
    purpose: str
    wards: dict[str, str | None]  # person id → ward, where the entry says


def _uuid_text(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _people_of(entry: Any) -> tuple[set[str], dict[str, str | None]]:
    """The named people an entry (an AuditEntry or a row of its columns) concerns, and the
    ward it recorded for them."""
    people: set[str] = set()
    wards: dict[str, str | None] = {}
    if entry.subject_type == PERSON_SUBJECT:
        one = _uuid_text(entry.subject_id)
        if one is not None:
            people.add(one)
            if entry.detail and "ward" in entry.detail:
                wards[one] = entry.detail.get("ward")
        people.update(str(p) for p in audit.named_people(entry.detail))
    return people, wards


def _reads(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    actors: Iterable[uuid.UUID] | Select[Any] | None = None,
) -> list[_Read]:
    e = AuditEntry
    stmt = select(
        e.actor_id, e.actor_label, e.at, e.subject_type, e.subject_id, e.detail, e.purpose
    )
    stmt = stmt.where(
        e.at >= since,
        e.at < until,
        e.action == "read",
        e.actor_id.is_not(None),
        e.subject_type == PERSON_SUBJECT,
    )
    if actors is not None:
        stmt = stmt.where(e.actor_id.in_(actors if isinstance(actors, Select) else list(actors)))
    out = []
    for row in session.execute(stmt.order_by(e.at)):
        people, wards = _people_of(row)
        if people and row.actor_id is not None:
            out.append(_Read(row.actor_id, row.actor_label, row.at, people, row.purpose, wards))
    return out


def _units_above(session: Session, reads: Sequence[_Read]) -> dict[str, str | None]:
    """Each person read → the unit one level above their ward (None: no ward known)."""
    wards: dict[str, str | None] = {}
    missing: set[str] = set()
    for read in reads:
        for person in read.people:
            if person in read.wards:
                wards[person] = read.wards[person]
            elif person not in wards:
                missing.add(person)
    missing -= set(wards)
    ids = sorted(missing)
    for start in range(0, len(ids), 2000):
        chunk = [uuid.UUID(v) for v in ids[start : start + 2000]]
        for pid, ward in session.execute(
            select(Person.id, Person.ward_code).where(Person.id.in_(chunk))
        ):
            wards[str(pid)] = ward
    codes = sorted({w for w in wards.values() if w})
    parents: dict[str, str] = {}
    for start in range(0, len(codes), 2000):
        for code, parent in session.execute(
            select(AdminUnit.code, AdminUnit.parent_code).where(
                AdminUnit.code.in_(codes[start : start + 2000])
            )
        ):
            parents[code] = parent or code
    return {person: (parents.get(ward, ward) if ward else None) for person, ward in wards.items()}


def window_of(now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    """The last completed window before `now` (windows are aligned to the day's start)."""
    size = timedelta(minutes=settings.access_flag_window_minutes)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = day + size * ((now - day) // size)
    return end - size, end


def detect(
    session: Session, settings: Settings, *, windows: Sequence[tuple[datetime, datetime]]
) -> list[AccessFlag]:
    """Flag unusual access in each window (oldest first); a flag already raised is not raised
    again. The audit log is read once for all the windows and their accounts' history."""
    if not windows:
        return []
    first = min(start for start, _ in windows)
    last = max(end for _, end in windows)
    recent = _reads(session, since=first, until=last)
    if not recent:
        return []
    history_days = timedelta(days=settings.access_flag_history_days)
    older = _reads(
        session, since=first - history_days, until=first, actors={r.actor_id for r in recent}
    )
    everything = [*older, *recent]  # both in time order, `older` entirely before `recent`
    units = _units_above(session, everything)
    flags: list[AccessFlag] = []
    for start, end in sorted(windows):
        reads = [r for r in recent if start <= r.at < end]
        if not reads:
            continue
        active = {r.actor_id for r in reads}
        history = [
            r for r in everything if start - history_days <= r.at < start and r.actor_id in active
        ]
        flags.extend(_detect_window(session, settings, (start, end), reads, history, units))
    session.flush()
    return flags


def _detect_window(
    session: Session,
    settings: Settings,
    window: tuple[datetime, datetime],
    reads: list[_Read],
    history: list[_Read],
    units: dict[str, str | None],
) -> list[AccessFlag]:
    start, end = window
    by_actor: dict[uuid.UUID, list[_Read]] = defaultdict(list)
    for read in reads:
        by_actor[read.actor_id].append(read)
    usual: dict[uuid.UUID, set[str]] = defaultdict(set)
    known: dict[uuid.UUID, set[str]] = defaultdict(set)
    for read in history:
        known[read.actor_id].update(read.people)
        usual[read.actor_id].update(u for p in read.people if (u := units.get(p)))
    existing = {
        (actor, kind)
        for actor, kind in session.execute(
            select(AccessFlag.actor_id, AccessFlag.kind).where(AccessFlag.window_start == start)
        )
    }
    flags: list[AccessFlag] = []
    for actor, actor_reads in by_actor.items():
        people = set().union(*(r.people for r in actor_reads))
        outside_cases = set().union(*(r.people for r in actor_reads if r.purpose not in CASE_WORK))
        label = actor_reads[-1].actor_label
        found: list[tuple[str, int, dict[str, Any]]] = []
        if len(outside_cases) > settings.access_flag_people:
            found.append(
                ("many_people", len(outside_cases), {"threshold": settings.access_flag_people})
            )
        if len(known[actor]) >= settings.access_flag_history_min:
            outside = {p for p in people if (u := units.get(p)) and u not in usual[actor]}
            if len(outside) >= settings.access_flag_outside_people:
                found.append(
                    (
                        "outside_area",
                        len(outside),
                        {
                            "units": sorted({units[p] or "" for p in outside}),
                            "usual": sorted(usual[actor]),
                        },
                    )
                )
        for kind, count, detail in found:
            if (actor, kind) in existing:
                continue
            flag = AccessFlag(
                actor_id=actor,
                actor_label=label,
                kind=kind,
                window_start=start,
                window_end=end,
                people=count,
                detail=detail,
            )
            session.add(flag)
            flags.append(flag)
    return flags


def open_flags(session: Session, *, actors: Select[Any] | None = None) -> list[AccessFlag]:
    """Flags not yet reviewed, newest first (of the accounts the reader manages)."""
    stmt = select(AccessFlag).where(AccessFlag.reviewed_at.is_(None))
    if actors is not None:
        stmt = stmt.where(AccessFlag.actor_id.in_(actors))
    return list(session.scalars(stmt.order_by(AccessFlag.window_start.desc()).limit(500)))


# -- the audit report --------------------------------------------------------------------------


@dataclass
class ReportRow:
    key: str  # account id or unit code
    label: str  # account label or unit name
    roles: list[str] = field(default_factory=list)  # "role@unit" of the account (or its accounts)
    accounts: int = 0
    reads: int = 0
    people: int = 0
    purposes: Counter[str] = field(default_factory=Counter)
    flags: int = 0


def report(
    session: Session,
    *,
    by: Literal["account", "unit"],
    since: datetime,
    until: datetime,
    actors: Select[Any] | None = None,
) -> list[ReportRow]:
    """Reads of named people in [since, until) per account, or per unit of the accounts.

    An account holding roles in several units counts in each of them.
    """
    reads = _reads(session, since=since, until=until, actors=actors)
    flag_stmt = select(AccessFlag.actor_id).where(
        AccessFlag.window_start >= since, AccessFlag.window_start < until
    )
    if actors is not None:
        flag_stmt = flag_stmt.where(AccessFlag.actor_id.in_(actors))
    flags = Counter(session.scalars(flag_stmt))
    actor_ids = sorted({r.actor_id for r in reads} | set(flags), key=str)
    grants: dict[uuid.UUID, list[tuple[str, str | None]]] = defaultdict(list)
    labels: dict[uuid.UUID, str] = {}
    for start in range(0, len(actor_ids), 2000):
        chunk = actor_ids[start : start + 2000]
        for uid, role, area in session.execute(
            select(RoleGrant.user_id, RoleGrant.role, RoleGrant.area_code).where(
                RoleGrant.user_id.in_(chunk)
            )
        ):
            grants[uid].append((str(getattr(role, "value", role)), area))
        for uid, username, name in session.execute(
            select(UserAccount.id, UserAccount.username, UserAccount.display_name).where(
                UserAccount.id.in_(chunk)
            )
        ):
            labels[uid] = name or username or str(uid)
    per_actor: dict[uuid.UUID, tuple[int, set[str], Counter[str]]] = {}
    for read in reads:
        count, people, purposes = per_actor.get(read.actor_id, (0, set(), Counter()))
        people.update(read.people)
        purposes[read.purpose or "—"] += 1
        per_actor[read.actor_id] = (count + 1, people, purposes)
        labels.setdefault(read.actor_id, read.actor_label)
    rows: dict[str, ReportRow] = {}
    unit_people: dict[str, set[str]] = defaultdict(set)
    for actor in actor_ids:
        count, people, purposes = per_actor.get(actor, (0, set(), Counter()))
        held = grants.get(actor, [])
        role_text = [f"{role}@{area or '*'}" for role, area in held]
        if by == "account":
            keys = [(str(actor), labels.get(actor, str(actor)))]
        else:
            keys = sorted({(area or "*", area or "*") for _, area in held}) or [("—", "—")]
        for key, label in keys:
            row = rows.setdefault(key, ReportRow(key=key, label=label))
            row.accounts += 1
            row.roles.extend(r for r in role_text if r not in row.roles)
            row.reads += count
            row.purposes.update(purposes)
            row.flags += flags.get(actor, 0)
            if by == "account":
                row.people = len(people)
            else:
                unit_people[key].update(people)
    if by == "unit":
        names = dict(
            session.execute(
                select(AdminUnit.code, AdminUnit.name).where(
                    AdminUnit.code.in_([k for k in rows if k not in ("*", "—")])
                )
            ).all()
        )
        for key, row in rows.items():
            row.people = len(unit_people[key])
            row.label = names.get(key, key)
    return sorted(rows.values(), key=lambda r: (-r.reads, r.label))


def review(
    session: Session,
    *,
    flag_id: uuid.UUID,
    reviewer: uuid.UUID,
    note: str,
    actors: Select[Any] | None = None,
) -> AccessFlag:
    """Mark a flag reviewed with the reviewer's note (what was found, what was done)."""
    flag = session.get(AccessFlag, flag_id)
    if flag is None:
        raise NotFound(N_("There is no such flag."))
    if actors is not None and not session.scalar(
        select(actors.where(actors.selected_columns[0] == flag.actor_id).exists())
    ):
        raise Forbidden(N_("This flag concerns an account outside the accounts you manage."))
    note = " ".join(note.split())
    if not 3 <= len(note) <= 300:
        raise InvalidInput(
            N_("Write what you found (3 to 300 characters)."),
            fields={"note": N_("Write what you found (3 to 300 characters).")},
        )
    if flag.reviewed_at is not None:
        raise Conflict(N_("This flag was already reviewed."))
    flag.reviewed_at = utcnow()
    flag.reviewed_by = reviewer
    flag.review_note = note
    session.flush()
    return flag
