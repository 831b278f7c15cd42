"""Administrative unit hierarchy: loaders, paths and one-query lookups, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from epitrace.db import Database
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.places.service import PlaceLoadError, UnitRow


def count_queries(session: Session) -> list[str]:
    """Statements sent from now on, leaving out the BEGIN that SQLite's transactions start with."""
    statements: list[str] = []
    engine = session.get_bind()

    def record(*args: Any) -> None:
        if not args[2].startswith("BEGIN"):
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    return statements


def test_paths_and_levels_of_a_three_level_hierarchy(session: Session, places: Any) -> None:
    ward = place_service.get(session, code="99101")
    assert ward is not None
    assert ward.path == "99.991.99101."
    assert ward.level == 3
    assert [u.code for u in place_service.get_ancestors(session, code="99101")] == ["99", "991"]
    assert [u.code for u in place_service.get_ancestors(session, code="26743")] == ["79"]


def test_lookups_are_single_queries(session: Session, places: Any) -> None:
    statements = count_queries(session)
    place_service.get_ancestors(session, code="99201")
    assert len(statements) == 1
    statements.clear()
    assert place_service.area_contains(session, area_code="99", unit_code="99201")
    assert len(statements) == 1
    assert not place_service.area_contains(session, area_code="991", unit_code="99201")
    assert place_service.area_contains(session, area_code="99201", unit_code="99201")


def test_descendants_and_children(session: Session, places: Any) -> None:
    codes = [u.code for u in place_service.get_descendants(session, code="99")]
    assert codes == ["99", "991", "99101", "99102", "992", "99201"]
    assert {u.code for u in place_service.get_children(session, code="79")} == {"26743", "26734"}
    leaves = {u.code for u in place_service.leaf_units(session, area_path="99.")}
    assert leaves == {"99101", "99102", "99201"}


def test_reload_updates_names_and_moves_subtrees(session: Session, places: Any) -> None:
    place_service.load(
        session,
        [
            UnitRow("99102", "Xã Một B (mới)", "xã", "992", None),
        ],
    )
    moved = place_service.get(session, code="99102")
    assert moved is not None
    assert moved.name == "Xã Một B (mới)"
    assert moved.path == "99.992.99102."
    assert moved.population == 250_000  # an empty population keeps the known one


def test_csv_bad_rows_are_reported_with_line_numbers_and_nothing_is_loaded(
    db: Database,
) -> None:
    text = (
        "code,name,type,parent_code,population\n"
        "50,Tỉnh A,tỉnh,,1000\n"
        ",Không mã,xã,50,10\n"
        "50001,Xã B,xã,50,nhiều\n"
        "50002,Xã C,xã,77,5\n"
    )
    with pytest.raises(PlaceLoadError) as exc:
        place_service.parse_csv(text)
    assert exc.value.errors == [
        "line 3: code is empty",
        "line 4: population 'nhiều' is not a whole number ≥ 0",
    ]
    rows = place_service.parse_csv(text.replace(",Không mã,xã,50,10\n", "").replace("nhiều", "9"))
    with pytest.raises(PlaceLoadError) as exc2, db.session_scope() as s:
        place_service.load(s, rows)
    assert exc2.value.errors == ["line 4: parent 77 of 50002 is unknown"]
    with db.session_scope() as s:
        assert place_service.count(s) == 0


def test_csv_refuses_duplicates_and_cycles(session: Session, places: Any) -> None:
    rows = place_service.parse_csv(
        "code,name,type,parent_code,population\n70,A,tỉnh,,\n70,B,tỉnh,,\n"
    )
    with pytest.raises(PlaceLoadError, match="bad rows") as exc:
        place_service.load(session, rows)
    assert exc.value.errors == ["line 3: code 70 already given on line 2"]
    with pytest.raises(PlaceLoadError):
        place_service.load(session, [UnitRow("99", "Tỉnh", "tỉnh", "99101", None)])


def test_csv_missing_columns() -> None:
    with pytest.raises(PlaceLoadError) as exc:
        place_service.parse_csv("code,name\n1,A\n")
    assert exc.value.errors == ["line 1: missing columns: type, parent_code"]


def test_vietnam_rows_use_official_zero_padded_codes() -> None:
    rows = place_service.vietnam_rows()
    by_code = {r.code: r for r in rows}
    assert sum(1 for r in rows if r.parent_code is None) == 34
    assert sum(1 for r in rows if r.parent_code is not None) == 3321
    assert by_code["01"].name == "Thành phố Hà Nội"
    assert by_code["79"].name == "Thành phố Hồ Chí Minh"
    assert by_code["00070"].name == "Phường Hoàn Kiếm"
    assert by_code["00070"].parent_code == "01"
    assert by_code["26743"].name == "Phường Bến Thành"
    assert all("  " not in r.name for r in rows)


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[str, str | None]]:
    size = draw(st.integers(min_value=1, max_value=25))
    nodes: list[tuple[str, str | None]] = []
    for i in range(size):
        parent = (
            None
            if i == 0 or (draw(st.booleans()) and i < 3)
            else nodes[draw(st.integers(min_value=0, max_value=i - 1))][0]
        )
        nodes.append((f"T{i}", parent))
    return nodes


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=trees())
def test_descendant_query_matches_a_walk_of_the_tree(
    db: Database, tree: list[tuple[str, str | None]]
) -> None:
    with db.session_scope() as s:
        for level in range(40, -1, -1):
            s.execute(AdminUnit.__table__.delete().where(AdminUnit.level == level))
        place_service.load(s, [UnitRow(c, c, "x", p, None) for c, p in tree])
        children: dict[str | None, list[str]] = {}
        for code, parent in tree:
            children.setdefault(parent, []).append(code)
        for code, _ in tree:
            expected, stack = set(), [code]
            while stack:
                node = stack.pop()
                expected.add(node)
                stack.extend(children.get(node, []))
            got = {u.code for u in place_service.get_descendants(s, code=code)}
            assert got == expected
        assert s.scalar(select(func.count()).select_from(AdminUnit)) == len(tree)
