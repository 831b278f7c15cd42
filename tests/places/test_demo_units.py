"""The demo province uses real wards under their official names and never renames a unit."""

from __future__ import annotations

from sqlalchemy import func, select

from epitrace import demo
from epitrace.db import Database
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit


def test_every_demo_ward_is_a_real_unit_of_the_province() -> None:
    official = {row.code: row for row in place_service.vietnam_rows()}
    assert official[demo.PROVINCE].name == demo.PROVINCE_NAME
    for code, name, _population in demo.WARDS:
        assert code in official, code
        assert official[code].name == name
        assert official[code].parent_code == demo.PROVINCE


def test_seeding_over_loaded_units_renames_nothing(db: Database) -> None:
    rows = [
        row for row in place_service.vietnam_rows() if demo.PROVINCE in (row.code, row.parent_code)
    ]
    with db.session_scope() as s:
        place_service.load(s, rows)
        # An operator's own correction of a name survives the demo seed.
        s.get_one(AdminUnit, "26743").name = "Phường Bến Thành (đã sửa)"
    with db.session_scope() as s:
        demo.seed(s)
    with db.session_scope() as s:
        names = {u.code: u.name for u in s.scalars(select(AdminUnit))}
        assert names["26743"] == "Phường Bến Thành (đã sửa)"
        for row in rows:
            if row.code != "26743":
                assert names[row.code] == row.name
        duplicated = s.scalar(
            select(func.count()).select_from(
                select(AdminUnit.name)
                .where(AdminUnit.parent_code == demo.PROVINCE)
                .group_by(AdminUnit.name)
                .having(func.count() > 1)
                .subquery()
            )
        )
        assert duplicated == 0
        assert s.get_one(AdminUnit, "27160").population == 71_000


def test_seeding_an_empty_database_adds_the_demo_units(db: Database) -> None:
    with db.session_scope() as s:
        demo.seed(s)
    with db.session_scope() as s:
        got = place_service.names_of(s, codes=[code for code, _n, _p in demo.WARDS])
        assert got == {code: name for code, name, _p in demo.WARDS}
