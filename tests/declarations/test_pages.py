"""The declaration pages rendered by the server (the browser tests cover the scripts)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.db import Database
from epitrace.declarations.models import Declaration
from epitrace.declarations.pages import ward_chain
from tests.declarations.factories import days_ago
from tests.declarations.matrix import FORM


def test_form_prefills_from_the_last_declaration(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    page = client.get("/declare", headers=headers)
    assert page.status_code == 200
    assert "Khai báo y tế nội địa" in page.text
    assert 'option value="79"' in page.text  # province picker
    assert "Khai báo thông tin sai sự thật là vi phạm pháp luật" in page.text
    sent = client.post(
        "/declare", data={**FORM, "phone": "0912345678"}, headers=headers, follow_redirects=False
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/declarations/mine?person_id=")
    again = client.get("/declare", headers=headers).text
    assert 'value="079090123456"' in again
    assert re.search(r'<option value="26743"\s+selected', again)


def test_invalid_form_shows_vietnamese_field_errors_and_keeps_values(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    form = {
        **FORM,
        "id_number": "12345",
        "birth_year": "19x0",
        "dose_0": "2021-10-01",
        "dose_1": "2021-09-01",
        "travel_place_0": "Đà Nẵng",
        "travel_date_0": "2099-01-01",
        "symptoms": ["fever", "other"],
    }
    form.pop("consent")
    page = client.post("/declare", data=form, headers=headers)
    assert page.status_code == 422
    text = page.text
    assert "Số căn cước công dân (CCCD) gồm đúng 12 chữ số." in text
    assert 'id="err-birth_year"' in text and "số nguyên." in text
    assert 'id="err-dose_1"' in text and "Mỗi mũi tiêm phải sau mũi trước." in text
    assert 'id="err-travel-0-date"' in text and "Ngày không được ở tương lai." in text
    assert 'id="err-other_symptom"' in text
    assert 'id="err-consent"' in text
    assert 'value="Đà Nẵng"' in text and 'id="symptom-fever" checked' in text
    assert client.get("/api/v1/declarations", headers=headers).json() == []


def test_status_history_and_pass_pages(client: TestClient, places: Any, citizen: Any) -> None:
    headers = citizen()
    client.post("/declare", data={**FORM, "phone": "0912345678"}, headers=headers)
    client.post(
        "/declare",
        data={
            **FORM,
            "phone": "0912345678",
            "symptoms": "cough",
            "travel_place_0": "Huế",
            "travel_date_0": days_ago(2),
        },
        headers=headers,
    )
    mine = client.get("/declarations/mine", headers=headers).text
    assert 'data-colour="yellow"' in mine
    assert "Đã khai báo có triệu chứng trong 14 ngày qua." in mine
    assert mine.count("đã được thay thế") == 1 and "đang hiệu lực" in mine
    passes = client.get("/pass", headers=headers)
    assert passes.status_code == 200
    assert 'data-testid="pass-qr" src="data:image/svg+xml' in passes.text
    assert "EPP1." in passes.text


def test_review_page_filters_and_follow_up(
    client: TestClient, places: Any, citizen: Any, make_staff: Any
) -> None:
    headers = citizen()
    client.post(
        "/declare", data={**FORM, "phone": "0912345678", "exposures": "case"}, headers=headers
    )
    official = make_staff("ward_official", "26743")
    page = client.get("/declarations/review", headers=official)
    assert page.status_code == 200
    assert "Nguyễn Văn An" in page.text and "Phường Bến Thành" in page.text
    assert "Tiếp xúc với người bệnh hoặc nghi ngờ mắc bệnh COVID-19" in page.text
    declaration_id = re.search(r"/declarations/([0-9a-f-]{36})/follow-up", page.text)
    assert declaration_id is not None
    done = client.post(
        f"/declarations/{declaration_id.group(1)}/follow-up",
        data={"note": "Đã gọi điện", "back": "/declarations/review?kind=exposure"},
        headers=official,
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/declarations/review?kind=exposure",
    )
    after = client.get("/declarations/review?followed_up=yes", headers=official).text
    assert "Đã gọi điện" in after
    assert (
        "Nguyễn Văn An"
        not in client.get("/declarations/review?followed_up=no", headers=official).text
    )
    assert (
        "Nguyễn Văn An"
        not in client.get("/declarations/review?kind=symptoms", headers=official).text
    )


def test_ward_pickers_follow_a_three_level_province(session: Session, places: Any) -> None:
    levels = ward_chain(session, "99101")
    assert [level["selected"] for level in levels] == ["99", "991", "99101"]
    assert [u.code for u in levels[2]["options"]] == ["99101", "99102"]
    # a province chosen but no ward yet: one more, empty picker below it
    assert [level["selected"] for level in ward_chain(session, "79")] == ["79", ""]
    assert [level["selected"] for level in ward_chain(session, None)] == [""]
    assert [level["selected"] for level in ward_chain(session, "nowhere")] == [""]


def test_declaring_for_another_person(
    client: TestClient, places: Any, citizen: Any, db: Database
) -> None:
    headers = citizen()
    form = client.get("/declare?subject=other", headers=headers).text
    assert 'value="other" checked' in form and 'id="full_name" name="full_name"' in form
    sent = client.post(
        "/declare",
        data={**FORM, "subject": "other", "full_name": "Phạm Thị Dung", "phone": "0987111222"},
        headers=headers,
        follow_redirects=False,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/declarations/mine")
    mine = client.get("/declarations/mine", headers=headers).text
    assert "Các tờ khai tôi khai hộ người khác" in mine and "Phạm Thị Dung" in mine
    # the other person is not one's dependent: no history or pass of theirs
    with db.session_scope() as s:
        other_id = s.scalars(
            select(Declaration.person_id).where(Declaration.full_name == "Phạm Thị Dung")
        ).one()
    assert (
        client.get(f"/declarations/mine?person_id={other_id}", headers=headers).status_code == 403
    )
    assert client.get(f"/api/v1/passes/{other_id}", headers=headers).status_code == 403
