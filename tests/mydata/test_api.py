"""My data through the HTTP API: the copy, who read it, the notice, erasure (both databases)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, Uuid, func, select
from sqlalchemy.orm import Session

from epitrace import jobs, localtime
from epitrace.accounts.models import Person, UserAccount
from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.accounts.sms import FileSmsChannel
from epitrace.app import create_app
from epitrace.cases.models import Case, CaseStatus
from epitrace.config import Settings
from epitrace.db import Base, Database
from epitrace.domains import import_models
from epitrace.mydata.models import ErasureRequest
from epitrace.security.models import AuditEntry
from tests import factories
from tests.mydata.support import add_case, add_checkin, add_order, citizen_with_data


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None, "poppler-utils is needed to read the PDF"
    out = subprocess.run(  # noqa: S603  (a fixed tool on a file the test wrote)
        [pdftotext, "-layout", str(path), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def test_the_copy_holds_the_person_the_relative_and_every_record(
    client: TestClient, places: Any, citizen: Any, db: Database, tmp_path: Path
) -> None:
    me = citizen_with_data(client, citizen)
    add_checkin(db, me.person_id, datetime.now(UTC) - timedelta(hours=2))
    add_case(db, me.dependent_id, datetime.now(UTC))

    data = client.get("/api/v1/me/data", headers=me.headers)
    assert data.status_code == 200, data.text
    body = data.json()
    self_, relative = body["people"]
    assert (self_["relationship"], self_["full_name"]) == ("self", "Nguyễn Văn An")
    assert len(self_["declarations"]) == 1 and len(self_["checkins"]) == 1
    assert self_["checkins"][0]["venue_name"] == "Chợ Bến Thành"
    assert self_["feedback"][0]["has_photo"] is True
    assert (relative["relationship"], relative["full_name"]) == ("mẹ", "Nguyễn Thị Mai")
    assert len(relative["cases"]) == 1 and relative["current_pass"]["colour"] == "red"
    assert body["notice"] == {
        "version": PRIVACY_NOTICE_VERSION,
        "accepted_version": None,
        "accepted_at": None,
        "accepted": False,
    }
    assert body["erasure"] is None

    download = client.get("/api/v1/me/data.json", headers=me.headers)
    assert download.headers["content-type"] == "application/json"
    assert "attachment" in download.headers["content-disposition"]
    saved = json.loads(download.content)
    assert saved["people"][0]["declarations"][0]["id"] == self_["declarations"][0]["id"]
    assert saved["access_history"] == []

    pdf = client.get("/api/v1/me/data.pdf", headers=me.headers)
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    for expected in (
        "Dữ liệu của tôi / My data",
        "Nguyễn Văn An",
        "Nguyễn Thị Mai",
        "Chợ Bến Thành",
        "Đỏ / red",  # the relative's pass: an active case
        "đang điều trị / active",
        "Ai đã xem hoặc thay đổi dữ liệu / Who read or changed the records",
    ):
        assert expected in text, expected


def test_access_history_shows_staff_by_role_and_unit_and_not_the_citizen_own_reads(
    client: TestClient, places: Any, citizen: Any, db: Database, make_staff: Any
) -> None:
    me = citizen_with_data(client, citizen)
    case_id = add_case(db, me.dependent_id, datetime.now(UTC))
    officer = make_staff("health_officer", "79", username="bs-lan")
    # the case page names the person: its read is logged against the person
    assert client.get(f"/cases/{case_id}", headers=officer).status_code == 200
    assert client.get(f"/api/v1/cases/{case_id}", headers=officer).status_code == 200
    with db.session_scope() as s:  # the citizen's own changes are not "someone else"
        s.add(
            AuditEntry(
                actor_id=me.user_id,
                actor_label="me",
                action="update",
                subject_type="person",
                subject_id=str(me.person_id),
            )
        )

    history = client.get("/api/v1/me/data/access", headers=me.headers)
    assert history.status_code == 200, history.text
    entries = history.json()
    assert {(e["what"], e["purpose"]) for e in entries} >= {
        ("person", "case page"),
        ("person", "case"),
        ("case", ""),
    }
    for entry in entries:
        assert entry["person_id"] == str(me.dependent_id)
        assert entry["roles"] == ["Cán bộ y tế"]
        assert entry["units"] == ["Thành phố Hồ Chí Minh"]
        assert entry["name"] is None and "bs-lan" not in entry["who"]
    assert all(e["action"] == "read" for e in entries)


def test_a_deployment_may_show_staff_names(
    settings: Settings, db: Database, places: Any, sms: FileSmsChannel
) -> None:
    named = create_app(settings.model_copy(update={"privacy_show_staff_names": True}), database=db)
    with TestClient(named, base_url="http://testserver") as client:
        me = citizen_with_data(client, lambda phone: factories.citizen_headers(client, sms, phone))
        case_id = add_case(db, me.person_id, datetime.now(UTC))
        with db.session_scope() as s:
            factories.staff(s, username="bs-hoa", role="health_officer", area="79")
        officer = factories.token_headers(client, username="bs-hoa")
        client.get(f"/api/v1/cases/{case_id}", headers=officer)
        entries = client.get("/api/v1/me/data/access", headers=me.headers).json()
    assert entries and all(e["name"] == "bs-hoa" for e in entries)
    assert entries[0]["who"].startswith("bs-hoa (Cán bộ y tế")


def test_the_notice_is_accepted_only_in_the_version_in_force(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    old = client.post("/api/v1/me/data/notice", json={"version": "2020-01"}, headers=headers)
    assert old.status_code == 409
    assert old.json()["detail"].startswith("Thông báo về quyền riêng tư đã thay đổi")
    bad = client.post("/api/v1/me/data/notice", json={"version": 5}, headers=headers)
    assert bad.status_code == 422
    ok = client.post(
        "/api/v1/me/data/notice", json={"version": PRIVACY_NOTICE_VERSION}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["accepted"] is True
    notice = client.get("/api/v1/me/data", headers=headers).json()["notice"]
    assert notice["accepted_version"] == PRIVACY_NOTICE_VERSION and notice["accepted_at"]


def test_only_a_signed_in_citizen_has_my_data(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    assert client.get("/api/v1/me/data").status_code == 401
    officer = make_staff("health_officer", "79")
    refused = client.get("/api/v1/me/data", headers=officer)
    assert refused.status_code == 403 and refused.json()["detail"]
    assert client.get(f"/api/v1/erasure-requests/{uuid.uuid4()}").status_code == 404


# -- erasure ---------------------------------------------------------------------------------

KEPT_TABLES = {"audit_entry", "erasure_request"}


def references(session: Session, needles: dict[str, object]) -> dict[str, int]:
    """Rows of any table (but the audit log and the request) holding one of these values.

    Walks the metadata: every UUID column is compared with the ids, every string column
    with the ids' text, the contact keys (`p:<id>`) and the phone number.
    """
    import_models()
    ids = [v for v in needles.values() if isinstance(v, uuid.UUID)]
    texts = [str(v) for v in ids] + [f"p:{v}" for v in ids]
    texts += [v for v in needles.values() if isinstance(v, str)]
    found: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in KEPT_TABLES:
            continue
        for column in table.columns:
            if isinstance(column.type, JSON):
                continue
            if isinstance(column.type, Uuid):
                condition = column.in_(ids)
            elif isinstance(column.type, String):
                condition = column.in_(texts)
            else:
                continue
            n = session.scalar(select(func.count()).select_from(table).where(condition)) or 0
            if n:
                found[f"{table.name}.{column.name}"] = n
    return found


def test_erasure_needs_a_confirmation_with_a_reason_in_vietnamese(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    refused = client.post("/api/v1/me/data/erasure", json={}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"]["confirm"]
    assert refused.json()["detail"] == "Một số trường chưa hợp lệ."
    assert (
        client.post("/api/v1/me/data/erasure", json={"confirm": False}, headers=headers).status_code
        == 422
    )
    missing = client.get("/api/v1/me/data/erasure", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Không có yêu cầu xoá dữ liệu này."


def test_an_honoured_erasure_leaves_nothing_that_points_to_the_person(
    client: TestClient, places: Any, citizen: Any, db: Database, settings: Settings
) -> None:
    me = citizen_with_data(client, citizen)
    # an old check-in, past the retention period, holds nothing
    add_checkin(db, me.person_id, datetime.now(UTC) - timedelta(days=settings.retention_days + 1))
    photos = list(settings.uploads_dir.rglob("*"))
    assert [p for p in photos if p.is_file()]

    done = client.post("/api/v1/me/data/erasure", json={"confirm": True}, headers=me.headers)
    assert done.status_code == 201, done.text
    receipt = done.json()
    assert receipt["status"] == "done" and receipt["people"] == 2
    assert receipt["erased"]["declaration"] == 1 and receipt["erased"]["feedback"] == 1
    assert receipt["erased"]["user_account"] == 1 and receipt["erased"]["person"] == 2
    # the account is gone: its token with it; the receipt is public
    assert client.get("/api/v1/me/data", headers=me.headers).status_code == 401
    public = client.get(f"/api/v1/erasure-requests/{receipt['id']}")
    assert public.status_code == 200 and public.json()["status"] == "done"

    with db.session_scope() as s:
        left = references(
            s,
            {
                "person": me.person_id,
                "dependent": me.dependent_id,
                "account": me.user_id,
                "phone": me.phone,
            },
        )
        assert left == {}
        assert [p for p in settings.uploads_dir.rglob("*") if p.is_file()] == []
        request = s.get(ErasureRequest, uuid.UUID(receipt["id"]))
        assert request is not None and request.person_id == me.person_id
        # the audit log keeps the request and the erasure, without personal data beyond ids
        actions = set(
            s.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.subject_id.in_([str(me.person_id), receipt["id"]])
                )
            )
        )
        assert {"create", "delete"} <= actions


def test_recent_checkins_queue_the_request_until_the_day_it_becomes_possible(
    client: TestClient, places: Any, citizen: Any, db: Database, settings: Settings
) -> None:
    me = citizen_with_data(client, citizen)
    entered = datetime.now(UTC) - timedelta(days=2)
    add_checkin(db, me.dependent_id, entered)

    queued = client.post("/api/v1/me/data/erasure", json={"confirm": True}, headers=me.headers)
    assert queued.status_code == 201
    body = queued.json()
    possible = localtime.local_date(entered + timedelta(days=settings.retention_days)) + timedelta(
        days=1
    )
    assert (body["status"], body["reasons"]) == ("queued", ["recent_checkins"])
    assert body["possible_on"] == possible.isoformat()
    assert body["reason_texts"][0].startswith("Có lượt khai báo vào/ra gần đây")
    again = client.post("/api/v1/me/data/erasure", json={"confirm": True}, headers=me.headers)
    assert again.status_code == 409 and again.json()["code"] == "erasure_pending"
    status = client.get("/api/v1/me/data/erasure", headers=me.headers).json()
    assert status["id"] == body["id"] and status["status"] == "queued"

    # the day before nothing changes; on the day the daily job honours it
    with time_machine.travel(
        localtime.at_local(possible, datetime.min.time()) - timedelta(hours=2)
    ):
        jobs.run_once(db, settings, [j for j in jobs.all_jobs() if j.name.startswith("mydata")])
    with db.session_scope() as s:
        assert s.get(ErasureRequest, uuid.UUID(body["id"])).status == "queued"
    with time_machine.travel(
        localtime.at_local(possible, datetime.min.time()) + timedelta(hours=1)
    ):
        outcome = jobs.run_once(
            db, settings, [j for j in jobs.all_jobs() if j.name.startswith("mydata")]
        )
    assert outcome == {"mydata.honour_erasures": "ok: 1"}
    with db.session_scope() as s:
        assert s.get(ErasureRequest, uuid.UUID(body["id"])).status == "done"
        assert references(s, {"person": me.person_id, "dependent": me.dependent_id}) == {}


def test_a_case_holds_the_request_and_its_record_stays_without_the_name(
    client: TestClient, places: Any, citizen: Any, db: Database, settings: Settings
) -> None:
    me = citizen_with_data(client, citizen)
    now = datetime.now(UTC)
    case_id = add_case(db, me.person_id, now)
    add_order(db, me.dependent_id, now, days=5)

    body = client.post("/api/v1/me/data/erasure", json={"confirm": True}, headers=me.headers).json()
    assert body["status"] == "queued"
    assert body["reasons"] == ["active_case", "quarantine"]
    assert body["possible_on"] is None  # a case has no known end

    with db.session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status = CaseStatus.RECOVERED
        case.recovered_at = now
    # the order still runs: the job keeps the request, now with the order's end
    jobs.run_once(db, settings, [j for j in jobs.all_jobs() if j.name.startswith("mydata")])
    with db.session_scope() as s:
        request = s.get(ErasureRequest, uuid.UUID(body["id"]))
        assert request is not None and request.reasons == ["quarantine"]
        assert request.possible_on == localtime.local_date(now + timedelta(days=5)) + timedelta(
            days=1
        )
    with time_machine.travel(now + timedelta(days=7)):
        jobs.run_once(db, settings, [j for j in jobs.all_jobs() if j.name.startswith("mydata")])
    with db.session_scope() as s:
        assert s.get(ErasureRequest, uuid.UUID(body["id"])).status == "done"
        person = s.get(Person, me.person_id)
        assert person is not None and (person.full_name, person.phone) == ("", None)
        assert s.get(Case, case_id) is not None  # a health record kept by law
        assert s.scalar(select(func.count()).select_from(UserAccount)) == 0
        # the only rows left naming the person: the emptied row and the kept health record
        left = references(s, {"person": me.person_id, "phone": me.phone})
        assert left == {"person.id": 1, "case_record.person_id": 1}


def test_the_page_asks_an_account_made_before_the_notice_to_accept_it(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()  # signed up through the API: no notice accepted yet
    page = client.get("/me/data", headers=headers)
    assert page.status_code == 200
    assert "Tôi đã đọc và đồng ý với thông báo" in page.text
    stale = client.post("/me/data/notice", data={"version": "2020-01"}, headers=headers)
    assert stale.status_code in (303, 422)
    assert client.get("/api/v1/me/data", headers=headers).json()["notice"]["accepted"] is False
    done = client.post(
        "/me/data/notice",
        data={"version": PRIVACY_NOTICE_VERSION},
        headers=headers,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/v1/me/data", headers=headers).json()["notice"]["accepted"] is True
    assert "Bạn đã đồng ý phiên bản" in client.get("/me/data", headers=headers).text


def test_a_search_that_found_the_person_is_in_the_history(
    client: TestClient, places: Any, citizen: Any, make_staff: Any
) -> None:
    me = citizen_with_data(client, citizen)
    profile = client.put(
        "/api/v1/me/profile",
        json={"full_name": "Nguyễn Văn An", "ward_code": "26743"},
        headers=me.headers,
    )
    assert profile.status_code == 200, profile.text
    officer = make_staff("health_officer", "79")
    found = client.get("/api/v1/people", params={"q": "0912345678"}, headers=officer)
    assert found.status_code == 200 and found.json(), found.text
    entries = client.get("/api/v1/me/data/access", headers=me.headers).json()
    assert [(e["what"], e["purpose"], e["person_id"]) for e in entries] == [
        ("person", "person search", str(me.person_id))
    ]


def test_a_queued_request_whose_record_went_another_way_is_closed(
    db: Database, settings: Settings, places: Any
) -> None:
    with db.session_scope() as s:
        request = ErasureRequest(person_id=uuid.uuid4(), status="queued", reasons=["quarantine"])
        s.add(request)
        s.flush()
        request_id = request.id
    outcome = jobs.run_once(
        db, settings, [j for j in jobs.all_jobs() if j.name.startswith("mydata")]
    )
    assert outcome == {"mydata.honour_erasures": "ok: 0"}
    with db.session_scope() as s:
        closed = s.get(ErasureRequest, request_id)
        assert closed is not None and (closed.status, closed.erased) == ("done", {})
