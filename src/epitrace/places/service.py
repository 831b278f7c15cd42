"""Administrative unit queries and loaders.

Hierarchy reads are single SQL queries over the materialised `path`; loaders validate a whole
input before writing anything, then write it in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from epitrace.db import contains_text, path_within
from epitrace.errors import N_, InvalidInput, NotFound
from epitrace.places.models import AdminUnit
from epitrace.places.names import fold as names_fold
from epitrace.places.names import matches as names_matches
from epitrace.places.names import tokens as names_tokens

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UnitRow:
    """One unit to load, before paths are computed."""

    code: str
    name: str
    unit_type: str
    parent_code: str | None
    population: int | None
    line: int = 0


class PlaceLoadError(InvalidInput):
    """An input file with bad rows; nothing from it was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(N_("The file has %(count)s bad rows."), params={"count": len(errors)})
        self.errors = errors


# -- reads --------------------------------------------------------------------------------


def get(session: Session, *, code: str) -> AdminUnit | None:
    return session.get(AdminUnit, code)


def get_or_404(session: Session, *, code: str) -> AdminUnit:
    unit = session.get(AdminUnit, code)
    if unit is None:
        raise NotFound(N_("Administrative unit %(code)s does not exist."), params={"code": code})
    return unit


def get_ancestors(session: Session, *, code: str) -> list[AdminUnit]:
    """The unit's ancestors from the root down, excluding the unit itself (one query)."""
    target = select(AdminUnit.path).where(AdminUnit.code == code).scalar_subquery()
    stmt = (
        select(AdminUnit)
        .where(path_within(target, AdminUnit.path))
        .where(AdminUnit.code != code)
        .order_by(AdminUnit.level)
    )
    return list(session.scalars(stmt))


def get_children(session: Session, *, code: str | None) -> list[AdminUnit]:
    stmt = select(AdminUnit).where(
        AdminUnit.parent_code.is_(None) if code is None else AdminUnit.parent_code == code
    )
    return list(session.scalars(stmt.order_by(AdminUnit.name)))


def descendant_codes(path: str) -> Select[Any]:
    """A subquery of the codes in the subtree whose root has `path` (root included)."""
    return select(AdminUnit.code).where(path_within(AdminUnit.path, path))


def within_area(column: InstrumentedAttribute[Any] | ColumnElement[Any], path: str | None) -> Any:
    """SQL condition: `column` (a unit code) lies in the area with this path (None = everywhere)."""
    if path is None:
        return literal(True)
    return column.in_(descendant_codes(path))


def within_areas(
    column: InstrumentedAttribute[Any] | ColumnElement[Any], paths: Sequence[str | None]
) -> Any:
    """SQL condition: `column` lies in any of these areas (None among them = everywhere)."""
    if None in paths:
        return literal(True)
    if not paths:
        return false()
    return or_(*(within_area(column, p) for p in paths))


def get_descendants(
    session: Session, *, code: str, max_level: int | None = None
) -> list[AdminUnit]:
    unit = get_or_404(session, code=code)
    stmt = select(AdminUnit).where(path_within(AdminUnit.path, unit.path))
    if max_level is not None:
        stmt = stmt.where(AdminUnit.level <= max_level)
    return list(session.scalars(stmt.order_by(AdminUnit.path)))


def area_contains(session: Session, *, area_code: str, unit_code: str) -> bool:
    """True when `unit_code` is `area_code` or lies below it (one query)."""
    area = select(AdminUnit.path).where(AdminUnit.code == area_code).scalar_subquery()
    stmt = select(func.count()).where(
        AdminUnit.code == unit_code, path_within(AdminUnit.path, area)
    )
    return bool(session.scalar(stmt))


def names_of(session: Session, *, codes: Sequence[str]) -> dict[str, str]:
    """Unit names by code (one query); unknown codes are left out."""
    if not codes:
        return {}
    rows = session.execute(
        select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(set(codes)))
    )
    return {row[0]: row[1] for row in rows}


def path_of(session: Session, *, code: str) -> str | None:
    return session.scalar(select(AdminUnit.path).where(AdminUnit.code == code))


def search(session: Session, *, query: str, limit: int = 20) -> list[AdminUnit]:
    stmt = select(AdminUnit).where(
        contains_text(AdminUnit.name, query) | (AdminUnit.code == query.strip())
    )
    return list(session.scalars(stmt.order_by(AdminUnit.level, AdminUnit.name).limit(limit)))


# -- names as people type them ------------------------------------------------------------


@dataclass(frozen=True)
class UnitEntry:
    code: str
    name: str
    level: int
    leaf: bool
    path: str
    label: str  # the name with its parents, e.g. "Phường Bến Thành, Thành phố Hồ Chí Minh"
    folded_name: str
    folded_label: str


@dataclass(frozen=True)
class _NameIndex:
    key: tuple[str, int, Any]
    entries: list[UnitEntry]
    by_code: dict[str, UnitEntry]


# The index of the last hierarchy asked for, replaced as a whole (requests run in threads).
_names: _NameIndex | None = None


def name_index(session: Session) -> list[UnitEntry]:
    """Every unit with its folded name and label; rebuilt when the loaded units change."""
    return _name_index(session).entries


def _name_index(session: Session) -> _NameIndex:
    # A request's tables call this once per row: check the units once per database session.
    remembered = session.info.get("epitrace.name_index")
    if remembered is None:
        remembered = session.info["epitrace.name_index"] = _fresh_name_index(session)
    return remembered


def _fresh_name_index(session: Session) -> _NameIndex:
    global _names  # noqa: PLW0603 - a process-wide cache, swapped atomically
    total, changed = session.execute(
        select(func.count(), func.max(AdminUnit.updated_at)).select_from(AdminUnit)
    ).one()
    key = (str(session.get_bind().engine.url), int(total or 0), changed)
    cached = _names
    if cached is not None and cached.key == key:
        return cached
    rows = session.execute(
        select(
            AdminUnit.code, AdminUnit.name, AdminUnit.level, AdminUnit.parent_code, AdminUnit.path
        )
    ).all()
    names = {code: name for code, name, _level, _parent, _path in rows}
    parents = {parent for _code, _name, _level, parent, _path in rows if parent}
    entries = []
    for code, name, level, _parent, path in rows:
        chain = [names.get(c, c) for c in path.rstrip(".").split(".")]
        label = ", ".join(reversed(chain))
        entries.append(
            UnitEntry(
                code,
                name,
                level,
                code not in parents,
                path,
                label,
                names_fold(name),
                names_fold(label),
            )
        )
    entries.sort(key=lambda e: (e.level, e.folded_name))
    _names = _NameIndex(key, entries, {e.code: e for e in entries})
    return _names


def suggest(
    session: Session,
    *,
    query: str,
    leaves_only: bool = False,
    area_path: str | None = None,
    limit: int = 20,
) -> list[UnitEntry]:
    """Units whose name (with its parents) contains every word typed, best matches first."""
    words = names_tokens(query)
    if not words:
        return []
    folded = names_fold(query)
    found = [
        e
        for e in name_index(session)
        if (not leaves_only or e.leaf)
        and (area_path is None or e.path.startswith(area_path))
        and (e.code == query.strip() or names_matches(words, e.folded_label))
    ]

    def rank(e: UnitEntry) -> tuple[int, int, str]:
        if e.code == query.strip() or folded in (e.folded_name, e.folded_label):
            first = 0
        elif names_matches(words, e.folded_name):
            first = 1
        else:
            first = 2
        return (first, e.level, e.folded_name)

    return sorted(found, key=rank)[:limit]


WARD_NOT_FOUND = N_("No ward of that name. Type part of the name and choose from the list.")
UNIT_NOT_FOUND = N_(
    "No administrative unit of that name. Type part of it and choose from the list."
)
AMBIGUOUS = N_("Several units have that name. Choose one from the list (it shows the province).")


def resolve(session: Session, *, text: str, field: str, leaves_only: bool = True) -> str | None:
    """The unit a form field names: its code, its label, its name, or words only it matches.

    Empty text gives None. Otherwise the answer is one unit or a field error: never a guess
    among several wards of the same name.
    """
    typed = " ".join(text.split())
    if not typed:
        return None
    entries = [e for e in name_index(session) if not leaves_only or e.leaf]
    by_code = [e for e in entries if e.code == typed]
    if by_code:
        return by_code[0].code
    folded = names_fold(typed)
    for key in ("folded_label", "folded_name"):
        same = [e for e in entries if getattr(e, key) == folded]
        if len(same) == 1:
            return same[0].code
        if len(same) > 1:
            raise InvalidInput(AMBIGUOUS, fields={field: AMBIGUOUS})
    words = names_tokens(typed)
    found = [e for e in entries if names_matches(words, e.folded_label)]
    if len(found) == 1:
        return found[0].code
    if len(found) > 1:
        raise InvalidInput(AMBIGUOUS, fields={field: AMBIGUOUS})
    message = WARD_NOT_FOUND if leaves_only else UNIT_NOT_FOUND
    raise InvalidInput(message, fields={field: message})


def label_of(session: Session, code: str | None) -> str:
    """How a unit is shown in forms and tables: its name with its parents (code if unknown)."""
    if not code:
        return ""
    entry = _name_index(session).by_code.get(code)
    return entry.label if entry is not None else code


def name_of(session: Session, code: str) -> str:
    """A unit's own name (the code if unknown), from the same index."""
    entry = _name_index(session).by_code.get(code)
    return entry.name if entry is not None else code


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AdminUnit)) or 0


def leaf_units(session: Session, *, area_path: str | None = None) -> list[AdminUnit]:
    """Units with no children (wards), optionally inside an area."""
    child = AdminUnit.__table__.alias("child")
    stmt = select(AdminUnit).where(
        ~select(child.c.code).where(child.c.parent_code == AdminUnit.code).exists()
    )
    if area_path is not None:
        stmt = stmt.where(path_within(AdminUnit.path, area_path))
    return list(session.scalars(stmt.order_by(AdminUnit.path)))


# -- loaders ------------------------------------------------------------------------------


def vietnam_rows() -> list[UnitRow]:
    """Today's two-level structure (34 provinces, 3,321 wards) from `vietnam-provinces`."""
    from vietnam_provinces import Province, Ward  # noqa: PLC0415 - large data set, load on demand

    rows = [
        UnitRow(
            code=f"{int(p.code):02d}",
            name=" ".join(p.name.split()),
            unit_type=str(p.division_type.value),
            parent_code=None,
            population=None,
        )
        for p in Province.iter_all()
    ]
    rows += [
        UnitRow(
            code=f"{int(w.code):05d}",
            name=" ".join(w.name.split()),
            unit_type=str(w.division_type.value),
            parent_code=f"{int(w.province_code):02d}",
            population=None,
        )
        for w in Ward.iter_all()
    ]
    return rows


CSV_COLUMNS = ("code", "name", "type", "parent_code", "population")


def parse_csv(text: str) -> list[UnitRow]:
    """Parse a hierarchy CSV (`code,name,type,parent_code,population`), reporting bad lines."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("code", "name", "type", "parent_code") if c not in header]
    if missing:
        raise PlaceLoadError([f"line 1: missing columns: {', '.join(missing)}"])
    rows: list[UnitRow] = []
    errors: list[str] = []
    for record in reader:
        line = reader.line_num
        values = {k.strip(): (v or "").strip() for k, v in record.items() if k is not None}
        code, name = values.get("code", ""), " ".join(values.get("name", "").split())
        population_text = values.get("population", "")
        problems = []
        if not code:
            problems.append("code is empty")
        elif len(code) > 16 or not code.replace("-", "").isalnum():
            problems.append(f"code {code!r} is not a short alphanumeric code")
        if not name:
            problems.append("name is empty")
        if not values.get("type"):
            problems.append("type is empty")
        population: int | None = None
        if population_text:
            if not (population_text.isascii() and population_text.isdigit()):
                problems.append(f"population {population_text!r} is not a whole number ≥ 0")
            else:
                population = int(population_text)
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        rows.append(
            UnitRow(
                code=code,
                name=name,
                unit_type=values["type"],
                parent_code=values.get("parent_code") or None,
                population=population,
                line=line,
            )
        )
    if errors:
        raise PlaceLoadError(errors)
    return rows


def _check_rows(session: Session, rows: Sequence[UnitRow]) -> None:
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.code in seen:
            errors.append(
                f"line {row.line}: code {row.code} already given on line {seen[row.code]}"
            )
        seen[row.code] = row.line
    existing = set(session.scalars(select(AdminUnit.code)))
    for row in rows:
        if row.parent_code and row.parent_code not in seen and row.parent_code not in existing:
            errors.append(f"line {row.line}: parent {row.parent_code} of {row.code} is unknown")
        if row.parent_code == row.code:
            errors.append(f"line {row.line}: {row.code} is its own parent")
    if errors:
        raise PlaceLoadError(errors)


def load(session: Session, rows: Sequence[UnitRow], *, progress: Progress | None = None) -> int:
    """Insert or update units by code and recompute paths; all or nothing (caller commits)."""
    _check_rows(session, rows)
    session.info.pop("epitrace.name_index", None)  # names change: look again
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    total = len(rows)
    batch = 500
    for start in range(0, total, batch):
        chunk = rows[start : start + batch]
        values = [
            {
                "code": r.code,
                "name": r.name,
                "unit_type": r.unit_type,
                "parent_code": None,
                "level": 0,
                "path": r.code + ".",
                "population": r.population,
            }
            for r in chunk
        ]
        stmt = insert(AdminUnit).values(values)
        update: dict[str, Any] = {"name": stmt.excluded.name, "unit_type": stmt.excluded.unit_type}
        if any(r.population is not None for r in chunk):
            update["population"] = func.coalesce(stmt.excluded.population, AdminUnit.population)
        session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=update))
        if progress:
            progress(min(start + batch, total), total)
    parents = {r.code: r.parent_code for r in rows}
    _rebuild_paths(session, parents)
    return total


def _rebuild_paths(session: Session, new_parents: dict[str, str | None]) -> None:
    """Set parents from the load, then recompute every path and level, refusing cycles."""
    current = dict(session.execute(select(AdminUnit.code, AdminUnit.parent_code)).all())
    current.update(new_parents)
    paths: dict[str, str] = {}

    def resolve(code: str) -> str:
        chain: list[str] = []
        node: str | None = code
        while node is not None and node not in paths:
            if node in chain:
                raise PlaceLoadError([f"unit {code}: parent chain loops through {node}"])
            chain.append(node)
            node = current.get(node)
        prefix = paths[node] if node is not None else ""
        for item in reversed(chain):
            prefix += item + "."
            paths[item] = prefix
        return paths[code]

    for code in current:
        resolve(code)
    existing = {
        c: (p, parent, lvl)
        for c, p, parent, lvl in session.execute(
            select(AdminUnit.code, AdminUnit.path, AdminUnit.parent_code, AdminUnit.level)
        )
    }
    changed = []
    for code, path in paths.items():
        level = path.count(".")
        if existing.get(code) != (path, current[code], level):
            changed.append(
                {"code": code, "path": path, "parent_code": current[code], "level": level}
            )
    if changed:
        # ORM bulk UPDATE by primary key: one executemany.
        session.execute(update(AdminUnit), changed)


def set_populations(session: Session, populations: Iterable[tuple[str, int]]) -> None:
    for code, population in populations:
        unit = get_or_404(session, code=code)
        unit.population = population
