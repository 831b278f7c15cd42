"""Units found by name as people type them: no diacritics needed, never a guess between two."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from epitrace.errors import InvalidInput
from epitrace.places import names
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from tests.places.test_service import count_queries

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
)


def test_fold_removes_diacritics_case_and_spacing() -> None:
    assert names.fold("  Phường   Bến Thành ") == "phuong ben thanh"
    assert names.fold("ĐÀ NẴNG") == names.fold("da nang") == "da nang"
    assert names.tokens("Bến Thành, Hồ Chí Minh") == ["ben", "thanh", "ho", "chi", "minh"]


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ,", max_size=40))
def test_fold_is_idempotent_and_plain_ascii(text: str) -> None:
    folded = names.fold(text)
    assert names.fold(folded) == folded
    assert folded.isascii()
    assert folded == folded.casefold()


def test_suggest_without_diacritics_finds_the_ward(session: Session, places: Any) -> None:
    found = place_service.suggest(session, query="ben thanh", leaves_only=True)
    assert [e.code for e in found] == ["26743"]
    assert found[0].label == "Phường Bến Thành, Thành phố Hồ Chí Minh"
    # words may come from the parent's name too; a province is not a ward
    assert [e.code for e in place_service.suggest(session, query="sai gon ho chi minh")] == [
        "26734"
    ]
    assert place_service.suggest(session, query="ho chi minh", leaves_only=True)
    assert "79" not in [
        e.code for e in place_service.suggest(session, query="ho chi minh", leaves_only=True)
    ]


def test_three_level_labels_name_every_parent(session: Session, places: Any) -> None:
    assert place_service.label_of(session, "99101") == "Xã Một A, Huyện Một, Tỉnh Thử Nghiệm"
    assert place_service.label_of(session, "nothing") == "nothing"


@pytest.mark.parametrize(
    "typed",
    [
        "26743",
        "Phường Bến Thành",
        "phuong ben thanh",
        "ben thanh",
        "Phường Bến Thành, Thành phố Hồ Chí Minh",
    ],
)
def test_resolve_accepts_code_name_and_label(session: Session, places: Any, typed: str) -> None:
    assert place_service.resolve(session, text=typed, field="ward_code") == "26743"


def test_resolve_refuses_unknown_and_ambiguous_names(session: Session, places: Any) -> None:
    assert place_service.resolve(session, text="  ", field="ward_code") is None
    with pytest.raises(InvalidInput) as unknown:
        place_service.resolve(session, text="Phường Không Có", field="ward_code")
    assert "ward_code" in unknown.value.fields
    # the same ward name in two provinces: the name alone is refused, the label decides
    place_service.load(session, [UnitRow("00071", "Phường Bến Thành", "phường", "01", 1000)])
    with pytest.raises(InvalidInput) as ambiguous:
        place_service.resolve(session, text="phuong ben thanh", field="ward_code")
    assert "Several" in ambiguous.value.message
    assert (
        place_service.resolve(session, text="Phường Bến Thành, Thành phố Hà Nội", field="w")
        == "00071"
    )
    # a province is not a ward, but is an area
    with pytest.raises(InvalidInput):
        place_service.resolve(session, text="Thành phố Hà Nội", field="ward_code")
    assert (
        place_service.resolve(session, text="thanh pho ha noi", field="a", leaves_only=False)
        == "01"
    )


def test_suggest_api_for_a_citizen(client: TestClient, places: Any, citizen: Any) -> None:
    response = client.get("/api/v1/places/suggest?kind=ward&q=ben thanh", headers=citizen())
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "26743",
            "name": "Phường Bến Thành",
            "label": "Phường Bến Thành, Thành phố Hồ Chí Minh",
            "level": 2,
        }
    ]
    assert client.get("/api/v1/places/suggest?q=ben").status_code == 401


def test_profile_saved_with_a_ward_name(client: TestClient, places: Any, citizen: Any) -> None:
    headers = citizen()
    page = client.get("/me", headers=headers)
    assert page.status_code == 200
    saved = client.post(
        "/me/profile",
        headers=headers,
        data={"full_name": "Lê Thị Hồng", "ward_code": "ben thanh", "birth_year": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303  # only one ward has both words
    page = client.get("/me", headers=headers)
    assert 'value="Phường Bến Thành, Thành phố Hồ Chí Minh"' in page.text
    refused = client.post(
        "/me/profile",
        headers=headers,
        data={"full_name": "Lê Thị Hồng", "ward_code": "phuong"},
        follow_redirects=False,
    )
    assert refused.status_code == 422  # several wards: never a guess
    assert 'data-field-error="ward_code"' in refused.text
    page = client.get("/me", headers=headers)
    assert 'value="Phường Bến Thành, Thành phố Hồ Chí Minh"' in page.text


def test_a_table_of_names_looks_the_units_up_once(session: Session, places: Any) -> None:
    """Regression: every name shown in a table checked the units again (one query per row)."""
    statements = count_queries(session)
    names = [place_service.name_of(session, code) for code in ["26743", "26734", "01"] * 20]
    assert names[:3] == ["Phường Bến Thành", "Phường Sài Gòn", "Thành phố Hà Nội"]
    assert len(statements) <= 2  # the freshness check, and the index when it was not built
