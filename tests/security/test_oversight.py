"""Oversight of staff access: unusual reads flagged to the administrators, the access report."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from epitrace.accounts.models import Person, UserAccount
from epitrace.alerts.models import OutboxMessage
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.security import flows, oversight
from epitrace.security.models import AccessFlag, AuditEntry


def _account(db: Database, username: str) -> uuid.UUID:
    with db.session_scope() as s:
        return s.scalars(select(UserAccount.id).where(UserAccount.username == username)).one()


def _people(db: Database, ward: str, n: int) -> list[uuid.UUID]:
    with db.session_scope() as s:
        people = [Person(full_name=f"Người {ward} {i}", ward_code=ward) for i in range(n)]
        s.add_all(people)
        s.flush()
        return [p.id for p in people]


def _read(
    db: Database,
    actor: uuid.UUID,
    people: list[uuid.UUID],
    at: datetime,
    purpose: str = "citizen_request",
) -> None:
    with db.session_scope() as s:
        for person in people:
            s.add(
                AuditEntry(
                    at=at,
                    actor_id=actor,
                    actor_label="officer",
                    action="read",
                    subject_type="person",
                    subject_id=str(person),
                    purpose=purpose,
                    detail={"record": "health_record"},
                )
            )


def _window(settings: Settings) -> tuple[datetime, datetime]:
    return oversight.window_of(utcnow(), settings)


def test_many_people_in_one_window_are_flagged_once_and_told_to_the_admins(
    client: TestClient, db: Database, places: Any, make_staff: Any, settings: Settings
) -> None:
    make_staff("health_officer", "79", username="ho-many")
    make_staff("system_admin", None, username="root-admin")
    officer, admin = _account(db, "ho-many"), _account(db, "root-admin")
    start, end = _window(settings)
    limit = settings.access_flag_people
    # case work names many people and is not counted: the ward's quarantine list, opened often
    listed = _people(db, "26743", limit + 30)
    for minute in (1, 20, 40):
        _read(db, officer, listed, start + timedelta(minutes=minute), purpose="quarantine list")
    _read(db, officer, _people(db, "26743", limit), start + timedelta(minutes=1))
    with db.session_scope() as s:
        assert oversight.detect(s, settings, windows=[(start, end)]) == []  # at the limit: fine
    _read(db, officer, _people(db, "26743", 1), start + timedelta(minutes=2))
    # a search listing ids counts the people it showed, once each
    with db.session_scope() as s:
        s.add(
            AuditEntry(
                at=start + timedelta(minutes=3),
                actor_id=officer,
                actor_label="officer",
                action="read",
                subject_type="person",
                subject_id="*",
                purpose="person search",
                detail={"ids": [str(p) for p in _people(db, "26734", 3)]},
            )
        )
    with db.session_scope() as s:
        found = flows.flag_unusual_access(s, settings, now=end + timedelta(minutes=5))
    assert found == 1
    with db.session_scope() as s:
        (flag,) = s.scalars(select(AccessFlag)).all()
        assert (flag.kind, flag.people, flag.actor_id) == ("many_people", limit + 4, officer)
        notices = s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == admin)).all()
        assert [n.kind for n in notices] == ["access_flag"]
    with db.session_scope() as s:  # the next run finds the same window flagged already
        assert flows.flag_unusual_access(s, settings, now=end + timedelta(minutes=15)) == 0


def test_reads_outside_the_usual_units_are_flagged(
    client: TestClient, db: Database, places: Any, make_staff: Any, settings: Settings
) -> None:
    make_staff("health_officer", "99", username="ho-wide")
    officer = _account(db, "ho-wide")
    start, end = _window(settings)
    # the usual work: people of district 991 of the three-level province, last week
    usual = _people(db, "99101", settings.access_flag_history_min)
    _read(db, officer, usual, start - timedelta(days=7))
    outside = settings.access_flag_outside_people
    _read(db, officer, _people(db, "99102", 10), start + timedelta(minutes=1))  # same district
    _read(db, officer, _people(db, "99201", outside - 1), start + timedelta(minutes=2))
    with db.session_scope() as s:
        assert oversight.detect(s, settings, windows=[(start, end)]) == []
    _read(db, officer, _people(db, "00070", 1), start + timedelta(minutes=3))
    with db.session_scope() as s:
        (flag,) = oversight.detect(s, settings, windows=[(start, end)])
        assert flag.kind == "outside_area" and flag.people == outside
        assert flag.detail == {"units": ["01", "992"], "usual": ["991"]}


def test_two_windows_read_at_once_judge_the_later_one_by_the_earlier(
    client: TestClient, db: Database, places: Any, make_staff: Any, settings: Settings
) -> None:
    """The job checks the last two windows with one reading of the log: the reads of the first
    are history for the second, as if each window had been checked on its own."""
    make_staff("health_officer", "99", username="ho-two")
    officer = _account(db, "ho-two")
    start, end = _window(settings)
    before = (start - (end - start), start)
    _read(db, officer, _people(db, "99101", settings.access_flag_history_min), before[0])
    outside = _people(db, "99201", settings.access_flag_outside_people)
    _read(db, officer, outside, start + timedelta(minutes=1))
    with db.session_scope() as s:
        (flag,) = oversight.detect(s, settings, windows=[before, (start, end)])
        assert (flag.kind, flag.window_start) == ("outside_area", start)
        assert flag.detail == {"units": ["992"], "usual": ["991"]}
        assert oversight.detect(s, settings, windows=[before, (start, end)]) == []


def test_a_new_account_has_no_usual_units_yet(
    client: TestClient, db: Database, places: Any, make_staff: Any, settings: Settings
) -> None:
    make_staff("health_officer", "99", username="ho-new")
    officer = _account(db, "ho-new")
    start, end = _window(settings)
    _read(db, officer, _people(db, "00070", 10), start + timedelta(minutes=1))
    with db.session_scope() as s:
        assert oversight.detect(s, settings, windows=[(start, end)]) == []


def test_report_per_account_and_unit_and_flag_review(
    client: TestClient, db: Database, places: Any, make_staff: Any, settings: Settings
) -> None:
    make_staff("health_officer", "79", username="ho-a")
    make_staff("ward_official", "26743", username="wo-b")
    admin = make_staff("system_admin", None, username="root-b")
    a, b = _account(db, "ho-a"), _account(db, "wo-b")
    now = utcnow()
    shared = _people(db, "26743", 2)
    _read(db, a, shared, now - timedelta(days=2), purpose="citizen_request")
    _read(db, a, shared[:1], now - timedelta(days=1), purpose="active_case")
    _read(db, b, shared, now - timedelta(days=1), purpose="quarantine_supervision")
    _read(db, b, _people(db, "26743", 1), now - timedelta(days=40))  # outside the period
    start, end = _window(settings)
    with db.session_scope() as s:
        flag = AccessFlag(
            actor_id=a,
            actor_label="ho-a",
            kind="many_people",
            window_start=start,
            window_end=end,
            people=99,
        )
        s.add(flag)
        s.flush()
        flag_id = flag.id

    by_account = client.get("/api/v1/audit/report?by=account&days=30", headers=admin).json()
    rows = {r["key"]: r for r in by_account}
    assert (rows[str(a)]["reads"], rows[str(a)]["people"], rows[str(a)]["flags"]) == (3, 2, 1)
    assert rows[str(a)]["purposes"] == {"citizen_request": 2, "active_case": 1}
    assert rows[str(a)]["roles"] == ["health_officer@79"]
    assert (rows[str(b)]["reads"], rows[str(b)]["people"]) == (2, 2)
    by_unit = {
        r["key"]: r for r in client.get("/api/v1/audit/report?by=unit", headers=admin).json()
    }
    assert by_unit["79"]["label"] == "Thành phố Hồ Chí Minh" and by_unit["79"]["reads"] == 3
    assert by_unit["26743"]["accounts"] == 1 and by_unit["26743"]["people"] == 2

    sheet = client.get("/api/v1/audit/report.xlsx?by=unit", headers=admin)
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    header = [c.value for c in book.active[1]]
    assert header[:4] == ["Đơn vị", "Mã đơn vị", "Số tài khoản", "Số lượt đọc hồ sơ"]

    page = client.get("/admin/access", headers=admin)
    assert page.status_code == 200 and 'data-testid="access-flags"' in page.text
    short = client.post(f"/api/v1/audit/flags/{flag_id}/review", json={"note": "ok"}, headers=admin)
    assert short.status_code == 422
    done = client.post(
        f"/api/v1/audit/flags/{flag_id}/review",
        json={"note": "Đã xác minh: đợt điều tra ổ dịch có kế hoạch."},
        headers=admin,
    )
    assert done.status_code == 200 and done.json()["reviewed_at"] is not None
    again = client.post(
        f"/api/v1/audit/flags/{flag_id}/review", json={"note": "again"}, headers=admin
    )
    assert again.status_code == 409
    assert client.get("/api/v1/audit/flags", headers=admin).json() == []
