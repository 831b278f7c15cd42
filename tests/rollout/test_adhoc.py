"""Ad-hoc requests (báo cáo đột xuất) through the service, the HTTP API and the pages: the DIC
asks chosen units, they answer until the deadline, the DIC sees who has answered."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from epitrace import localtime
from epitrace.alerts.models import OutboxMessage
from epitrace.db import Database, utcnow
from epitrace.errors import Conflict, InvalidInput, NotFound
from epitrace.rollout import adhoc as adhoc_service
from epitrace.rollout import reports as report_service
from epitrace.rollout.models import AdhocRequest
from epitrace.security.models import AuditEntry

API = "/api/v1/adhoc-requests"
VI = {"Accept-Language": "vi"}
QUESTIONS = ["Có bao nhiêu tổ Covid cộng đồng?", "Khó khăn chính là gì?"]


def _deadline(hours: int = 48) -> str:
    """A local wall-clock deadline, as the form and the API take it."""
    return localtime.to_local(utcnow() + timedelta(hours=hours)).replace(tzinfo=None).isoformat()


@pytest.fixture
def people(places: Any, make_staff: Any) -> dict[str, Any]:
    return {
        "dic": make_staff("dic_officer", "99"),
        "d991": make_staff("district_official", "991"),
        "w99101": make_staff("ward_official", "99101"),
        "w99102": make_staff("ward_official", "99102"),
        "w99201": make_staff("ward_official", "99201"),
        "dic79": make_staff("dic_officer", "79"),
    }


def _send(client: TestClient, people: dict[str, Any], **body: Any) -> Any:
    payload = {
        "title": "Số tổ Covid cộng đồng",
        "questions": QUESTIONS,
        "area_code": "99",
        "deadline": _deadline(),
        "unit_codes": ["99101", "99102"],
        **body,
    }
    return client.post(API, json=payload, headers=people["dic"])


def _inbox_count(db: Database, template: str) -> int:
    with db.session_scope() as s:
        stmt = select(func.count()).select_from(OutboxMessage)
        return s.scalar(stmt.where(OutboxMessage.template == template)) or 0


def test_a_request_is_answered_changed_and_shown_to_the_dic(
    client: TestClient, db: Database, people: dict[str, Any]
) -> None:
    response = _send(client, people)
    assert response.status_code == 201, response.text
    created = response.json()
    assert [r["unit_code"] for r in created["recipients"]] == ["99101", "99102"]
    assert created["answered"] == 0 and created["expected"] == 2
    # each ward's official has a notice in their inbox
    assert _inbox_count(db, "adhoc_request") == 2
    listed = client.get(API, headers=people["w99101"]).json()
    assert [(i["id"], i["unit_code"]) for i in listed] == [(created["id"], "99101")]

    url = f"{API}/{created['id']}/answers/99101"
    empty = client.get(url, headers=people["w99101"]).json()
    assert empty["answers"] == ["", ""] and empty["answered_at"] is None
    response = client.put(url, json={"answers": ["12 tổ", ""]}, headers=people["w99101"])
    assert response.status_code == 200, response.text
    response = client.put(
        url, json={"answers": ["14 tổ", "Thiếu điện thoại"]}, headers=people["w99101"]
    )
    assert response.json()["answers"] == ["14 tổ", "Thiếu điện thoại"]

    view = client.get(f"{API}/{created['id']}", headers=people["dic"]).json()
    assert view["answered"] == 1
    rows = {r["unit_code"]: r for r in view["recipients"]}
    assert rows["99101"]["answered"] and rows["99101"]["answers"][0] == "14 tổ"
    assert not rows["99102"]["answered"] and not rows["99102"]["overdue"]

    # the reminder goes to the ward that has not answered, once a day
    response = client.post(f"{API}/{created['id']}/remind", headers=people["dic"])
    assert response.json()["units"] == 1 and response.json()["recipients"] == 1
    again = client.post(f"{API}/{created['id']}/remind", headers=people["dic"]).json()
    assert again["recipients"] == 0 and again["duplicates"] == 1
    assert _inbox_count(db, "adhoc_reminder") == 1
    with db.session_scope() as s:
        actions = set(
            s.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "adhoc_request"))
        )
    assert {"create", "answer", "read", "remind"} <= actions


def test_all_districts_or_wards_of_the_area(client: TestClient, people: dict[str, Any]) -> None:
    wards = _send(client, people, unit_codes=[], all_of="wards").json()
    assert {r["unit_code"] for r in wards["recipients"]} == {"99101", "99102", "99201"}
    # every district, and a ward named besides
    districts = _send(client, people, unit_codes=["99201"], all_of="districts").json()
    assert {r["unit_code"] for r in districts["recipients"]} == {"991", "992", "99201"}


def test_units_outside_the_request_or_the_chain_are_refused(
    client: TestClient, people: dict[str, Any]
) -> None:
    created = _send(client, people).json()
    # a ward of the area that was not asked
    response = client.put(
        f"{API}/{created['id']}/answers/99201",
        json={"answers": ["x", "y"]},
        headers=people["w99201"],
    )
    assert response.status_code == 404
    # an official of another ward answering for an asked one
    response = client.put(
        f"{API}/{created['id']}/answers/99101",
        json={"answers": ["x", "y"]},
        headers=people["w99102"],
    )
    assert response.status_code == 403
    # the district above does not answer for its ward
    response = client.put(
        f"{API}/{created['id']}/answers/99101", json={"answers": ["x", "y"]}, headers=people["d991"]
    )
    assert response.status_code == 403
    # another province's DIC neither sees nor sends for province 99
    assert client.get(f"{API}/{created['id']}", headers=people["dic79"]).status_code == 403
    assert _send(client, {"dic": people["dic79"]}).status_code == 403
    # a ward official does not send requests
    assert _send(client, {"dic": people["w99101"]}).status_code == 403


def test_a_late_answer_is_refused_in_vietnamese(
    client: TestClient, db: Database, people: dict[str, Any]
) -> None:
    created = _send(client, people).json()
    with db.session_scope() as s:
        request = s.get(AdhocRequest, uuid.UUID(created["id"]))
        assert request is not None
        request.deadline = utcnow() - timedelta(minutes=1)
    response = client.put(
        f"{API}/{created['id']}/answers/99101",
        json={"answers": ["x", "y"]},
        headers={**people["w99101"], **VI},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "adhoc_closed"
    assert "đã quá hạn" in response.text
    view = client.get(f"{API}/{created['id']}", headers=people["dic"]).json()
    assert view["closed"] and all(r["overdue"] for r in view["recipients"])
    assert client.post(f"{API}/{created['id']}/remind", headers=people["dic"]).status_code == 409
    # the answer page says so too, and refuses the form with 409
    page = client.post(
        f"/rollout/adhoc/{created['id']}/99101",
        data={"answers": ["x", "y"]},
        headers={**people["w99101"], **VI},
    )
    assert page.status_code == 409 and "đã quá hạn" in page.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"questions": []}, None),
        ({"questions": ["x" * 301]}, None),
        ({"questions": [" "]}, "questions"),
        ({"title": " "}, "title"),
        ({"deadline": "2020-01-01T08:00:00"}, "deadline"),
        ({"deadline": "3000-01-01T08:00:00"}, "deadline"),
        ({"unit_codes": ["26743"]}, "units"),
        ({"unit_codes": ["zz"]}, "units"),
        ({"unit_codes": []}, "units"),
        ({"area_code": "nope"}, "unit_code"),
    ],
)
def test_bad_requests_are_422(
    client: TestClient, people: dict[str, Any], change: dict[str, Any], field: str | None
) -> None:
    response = _send(client, {**people, "dic": {**people["dic"], **VI}}, **change)
    assert response.status_code == 422, response.text


def test_bad_answers_are_422(client: TestClient, people: dict[str, Any]) -> None:
    created = _send(client, people).json()
    url = f"{API}/{created['id']}/answers/99101"
    for answers in (["only one"], ["", ""], ["x" * 2001, ""], ["a", "b", "c"]):
        response = client.put(url, json={"answers": answers}, headers=people["w99101"])
        assert response.status_code == 422, answers


def test_service_rules(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        area = report_service.get_unit(s, code="99")
        request = adhoc_service.create(
            s,
            title="  Hỏi   nhanh ",
            questions=["Một?", "", "Hai?"],
            area=area,
            deadline=utcnow() + timedelta(hours=1),
            unit_codes=["99101"],
            created_by=None,
        )
        assert request.title == "Hỏi nhanh" and request.questions == ["Một?", "Hai?"]
        actor = report_service.Actor(None, "Cán bộ xã")
        with pytest.raises(NotFound):
            adhoc_service.answer(
                s, request=request, unit_code="99102", answers=["a", "b"], actor=actor
            )
        adhoc_service.answer(s, request=request, unit_code="99101", answers=["a", "b"], actor=actor)
        with pytest.raises(Conflict):
            adhoc_service.answer(
                s,
                request=request,
                unit_code="99101",
                answers=["a", "c"],
                actor=actor,
                now=utcnow() + timedelta(hours=2),
            )
        with pytest.raises(InvalidInput):
            adhoc_service.create(
                s,
                title="x",
                questions=["q"],
                area=area,
                deadline=utcnow() + timedelta(hours=1),
                all_of="everyone",
                created_by=None,
            )
        view = adhoc_service.overview(s, request=request, now=utcnow() + timedelta(hours=2))
        assert [(r.code, r.answered, r.overdue) for r in view.rows] == [("99101", True, False)]
        # the local wall-clock deadline is stored in UTC
        naive = adhoc_service.deadline_from(
            localtime.to_local(request.deadline).replace(tzinfo=None)
        )
        assert naive == request.deadline


def test_pages_send_answer_export(client: TestClient, db: Database, people: dict[str, Any]) -> None:
    dic = {**people["dic"], **VI}
    assert client.get("/rollout/adhoc", headers=dic).status_code == 200
    day = (localtime.today() + timedelta(days=2)).isoformat()
    response = client.post(
        "/rollout/adhoc",
        data={
            "title": "Báo cáo nhanh",
            "area_code": "99",
            "questions": "Số hộ đã đến?\nSố máy cài đặt?",
            "deadline_date": day,
            "deadline_time": "17:00",
            "units": ["Xã Một A", "99102", ""],
        },
        headers=dic,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    request_id = url.rsplit("/", 1)[1]
    ward = {**people["w99101"], **VI}
    assert "Báo cáo nhanh" in client.get("/rollout/adhoc", headers=ward).text
    page = client.get(f"/rollout/adhoc/{request_id}/99101", headers=ward)
    assert page.status_code == 200 and "Số hộ đã đến?" in page.text
    response = client.post(
        f"/rollout/adhoc/{request_id}/99101",
        data={"answers": ["120 hộ", "80 máy"]},
        headers=ward,
        follow_redirects=False,
    )
    assert response.status_code == 303
    view = client.get(url, headers=dic)
    assert 'data-answered="1"' in view.text and "120 hộ" in view.text
    xlsx = client.get(f"{url}/answers.xlsx", headers=dic)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][-2:] == ["Số hộ đã đến?", "Số máy cài đặt?"]
    assert ["99101", "Xã Một A", "Có"] in [row[:3] for row in cells[1:]]
    # bad form input: the page again with the error, in Vietnamese
    response = client.post(
        "/rollout/adhoc",
        data={"title": "x", "area_code": "99", "questions": "", "deadline_date": "hôm nay"},
        headers=dic,
    )
    assert response.status_code == 422 and 'data-testid="form-error"' in response.text
