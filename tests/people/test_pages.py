"""The person search page: found by name without diacritics, merged from the results."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.accounts.models import Person
from epitrace.db import Database


def test_search_page_finds_and_merges(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    with db.session_scope() as s:
        s.add_all(
            [
                Person(full_name="Bùi Thị Xuân", ward_code="26743", phone="+84911888001"),
                Person(full_name="Bui Thi Xuan", ward_code="26743", phone="0911888001"),
            ]
        )
    officer = make_staff("health_officer", "79")
    page = client.get("/people?q=bui thi xuan", headers=officer)
    assert page.status_code == 200
    assert page.text.count("091****001") >= 2 and 'data-testid="merge-form"' in page.text
    bad = client.get("/people?q=0911", headers=officer)
    assert bad.status_code == 200 and 'id="q-error"' in bad.text
    with db.session_scope() as s:
        first, second = s.scalars(select(Person.id).order_by(Person.search_name)).all()
    merged = client.post(
        "/people/merge",
        data={"keep_id": str(first), "merge_id": str(second)},
        headers=officer,
        follow_redirects=False,
    )
    assert merged.status_code == 303
    again = client.post(
        "/people/merge",
        data={"keep_id": str(first), "merge_id": str(second)},
        headers=officer,
        follow_redirects=True,
    )
    assert "đã được gộp" in again.text
    ward = make_staff("ward_official", "26743")
    seen = client.get("/people?q=xuan", headers=ward)
    assert seen.status_code == 200 and 'data-testid="merge-form"' not in seen.text
