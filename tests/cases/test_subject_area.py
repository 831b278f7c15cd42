"""A person, case or order is checked by the area stored for it, never a ward from the request.

Regressions: a Hà Nội health officer put a Hồ Chí Minh City resident in quarantine (their pass
turned red) or registered them as a case by naming a Hà Nội ward in the body; the province's
own officer got 403 ordering isolation for a person without a home ward.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.cases import models as case_models
from epitrace.cases import service as case_service
from epitrace.cases.models import Case, LabTest, QuarantineOrder
from epitrace.db import Database
from epitrace.security.roles import Role
from tests import factories

SAMPLED = (datetime.now(UTC) - timedelta(days=1)).isoformat()


def _people(db: Database) -> dict[str, str]:
    with db.session_scope() as s:
        resident = Person(full_name="Võ Thị Sáu", ward_code="26743", phone="0911555666")
        no_home = Person(full_name="Đặng Văn Ngữ", phone="0911555777")
        nowhere = Person(full_name="Lương Định Của", phone="0911555888")
        s.add_all([resident, no_home, nowhere])
        s.flush()
        s.add(
            Case(
                person_id=no_home.id,
                ward_code="26734",
                test_type=case_models.TestType.PCR,
                sampled_at=datetime.now(UTC) - timedelta(days=2),
                confirmed_at=datetime.now(UTC) - timedelta(days=1),
            )
        )
        return {
            "resident": str(resident.id),
            "no_home": str(no_home.id),
            "nowhere": str(nowhere.id),
        }


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session_scope() as s:
        return (
            s.scalar(select(func.count()).select_from(Case)) or 0,
            s.scalar(select(func.count()).select_from(LabTest)) or 0,
            s.scalar(select(func.count()).select_from(QuarantineOrder)) or 0,
        )


def test_an_officer_of_another_province_cannot_write_by_naming_their_own_ward(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    people = _people(db)
    hanoi = make_staff("health_officer", "01")
    before = _counts(db)
    for path, body in (
        ("/api/v1/cases", {"person_id": people["resident"], "sampled_at": SAMPLED}),
        (
            "/api/v1/tests",
            {
                "person_id": people["resident"],
                "test_type": "pcr",
                "sampled_at": SAMPLED,
                "result": "positive",
                "promote": True,
            },
        ),
        ("/api/v1/quarantine", {"person_id": people["resident"], "reason": "f1", "kind": "home"}),
        # no home ward, but a case in Hồ Chí Minh City: that is their area
        ("/api/v1/quarantine", {"person_id": people["no_home"], "reason": "f0", "kind": "home"}),
    ):
        response = client.post(path, headers=hanoi, json={**body, "ward_code": "00070"})
        assert response.status_code == 403, (path, response.text)
        assert response.json()["detail"] == "Địa bàn này nằm ngoài phạm vi phụ trách của bạn."
    page = client.post(
        "/quarantine/new",
        headers=hanoi,
        data={"person_id": people["resident"], "reason": "f1", "ward_code": "00070"},
    )
    assert page.status_code == 403
    case_page = client.post(
        "/cases/new",
        headers=hanoi,
        data={
            "person_id": people["resident"],
            "sampled_at": "2026-11-20T08:00",
            "ward_code": "00070",
        },
    )
    assert case_page.status_code == 403
    assert _counts(db) == before
    with db.session_scope() as s:
        facts = case_service.get_status_facts(s, person_id=uuid.UUID(people["resident"]))
    assert not facts.is_case and not facts.in_quarantine  # the pass stays as it was


def test_the_own_officer_may_not_file_a_record_in_another_province_either(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    people = _people(db)
    hcm = make_staff("health_officer", "79")
    response = client.post(
        "/api/v1/quarantine",
        headers=hcm,
        json={
            "person_id": people["resident"],
            "reason": "f1",
            "kind": "home",
            "ward_code": "00070",
        },
    )
    assert response.status_code == 403
    missing = client.post(
        "/api/v1/quarantine",
        headers=hcm,
        json={"person_id": people["resident"], "reason": "f1", "kind": "home", "ward_code": "x"},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"]["ward_code"] == "Chọn một phường/xã có trong danh mục."


def test_a_person_without_a_home_ward_belongs_to_the_ward_of_their_case(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    people = _people(db)
    hcm = make_staff("health_officer", "79")
    order = client.post(
        "/api/v1/quarantine",
        headers=hcm,
        json={"person_id": people["no_home"], "reason": "f0", "kind": "home"},
    )
    assert order.status_code == 201, order.text
    assert order.json()["ward_code"] == "26734"
    # the form on the case page sends the person only
    with db.session_scope() as s:
        s.execute(QuarantineOrder.__table__.delete())
    page = client.post(
        "/quarantine/new",
        headers=hcm,
        data={"person_id": people["no_home"], "reason": "f0", "kind": "home"},
        follow_redirects=False,
    )
    assert page.status_code == 303


def test_a_person_the_health_system_has_no_area_for_is_filed_in_the_officers_area(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    people = _people(db)
    hcm = make_staff("health_officer", "79")
    order = client.post(
        "/api/v1/quarantine",
        headers=hcm,
        json={"person_id": people["nowhere"], "reason": "f1", "kind": "home"},
    )
    assert order.status_code == 201, order.text
    assert order.json()["ward_code"] == "79"
    # from then on the order's ward is the person's area: another province cannot act on them
    hanoi = make_staff("health_officer", "01")
    case = client.post(
        "/api/v1/cases",
        headers=hanoi,
        json={"person_id": people["nowhere"], "sampled_at": SAMPLED, "ward_code": "00070"},
    )
    assert case.status_code == 403
    # an officer of two provinces must say where
    with db.session_scope() as s:
        s.execute(QuarantineOrder.__table__.delete())
        account_service.create_staff(
            s,
            username="bs-hai-tinh",
            password=factories.STAFF_PASSWORD,
            grants=[(Role.HEALTH_OFFICER, "79"), (Role.HEALTH_OFFICER, "01")],
            granter=None,
        )
    two = factories.token_headers(client, username="bs-hai-tinh")
    unplaced = client.post(
        "/api/v1/quarantine",
        headers=two,
        json={"person_id": people["nowhere"], "reason": "f1", "kind": "home"},
    )
    assert unplaced.status_code == 422
    placed = client.post(
        "/api/v1/quarantine",
        headers=two,
        json={"person_id": people["nowhere"], "reason": "f1", "kind": "home", "ward_code": "00070"},
    )
    assert placed.status_code == 201


def test_an_order_names_only_a_case_of_the_same_person(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    people = _people(db)
    with db.session_scope() as s:
        other_case = s.scalars(select(Case.id)).one()
    hcm = make_staff("health_officer", "79")
    response = client.post(
        "/api/v1/quarantine",
        headers=hcm,
        json={
            "person_id": people["resident"],
            "reason": "f0",
            "kind": "home",
            "case_id": str(other_case),
        },
    )
    assert response.status_code == 422
    assert "case_id" in response.json()["errors"]


def test_a_venue_cannot_join_an_organisation_of_another_province(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    # organisations are registered by the officials of their area (rollout)
    hanoi = make_staff("province_official", "01")
    org = client.post(
        "/api/v1/organisations",
        headers=hanoi,
        json={"name": "Công ty Hà Nội", "ward_code": "00070"},
    ).json()
    hcm_admin = make_staff("org_admin", "79")
    venue = {"name": "Cửa hàng", "category": "shop_restaurant", "ward_code": "26743"}
    refused = client.post(
        "/api/v1/venues", headers=hcm_admin, json={**venue, "organisation_id": org["id"]}
    )
    assert refused.status_code == 403
    own = client.post(
        "/api/v1/organisations",
        headers=make_staff("province_official", "79"),
        json={"name": "Công ty Sài Gòn", "ward_code": "26734"},
    ).json()
    ok = client.post(
        "/api/v1/venues", headers=hcm_admin, json={**venue, "organisation_id": own["id"]}
    )
    assert ok.status_code == 201
