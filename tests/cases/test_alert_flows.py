"""Messages the cases, declarations and feedback stories write to the outbox: quarantine orders,
daily symptom reminders (stopped by a report and by the end of the order), lapsed-declaration
reminders, and the answer to a citizen's report."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace import localtime
from epitrace.accounts.models import UserAccount
from epitrace.alerts.models import OutboxMessage, Status
from epitrace.cases import flows as case_flows
from epitrace.db import Database
from epitrace.declarations import flows as declaration_flows
from tests.alerts import factories as af
from tests.declarations import factories as df
from tests.tracing import factories as f


def _rows(db: Database, template: str) -> list[OutboxMessage]:
    with db.session_scope() as s:
        rows = list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        )
        s.expunge_all()
        return rows


def _person_of(db: Database, phone: str) -> Any:
    with db.session_scope() as s:
        account = s.scalars(select(UserAccount).where(UserAccount.phone == phone)).one()
        return account.person_id, account.id


def test_an_order_tells_the_person_and_the_daily_reminder_stops_with_the_report(
    client: TestClient, db: Database, places: Any, make_staff: Any, citizen: Any
) -> None:
    headers = citizen("0912300001")
    person_id, account_id = _person_of(db, "+84912300001")
    with db.session_scope() as s:
        other = f.person(s, "Trịnh Văn Xa", phone="0912300002").id
    officer = make_staff("health_officer", "79")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    home = client.post(
        "/api/v1/quarantine",
        json={
            "person_id": str(person_id),
            "reason": "f1",
            "kind": "home",
            "ward_code": "26743",
            "starts_at": yesterday,
        },
        headers=officer,
    )
    assert home.status_code == 201, home.text
    facility = client.post(
        "/api/v1/quarantine",
        json={
            "person_id": str(other),
            "reason": "f1",
            "kind": "facility",
            "ward_code": "26743",
            "facility_name": "Ký túc xá Khu B",
            "starts_at": yesterday,
        },
        headers=officer,
    )
    assert facility.status_code == 201, facility.text
    [told] = _rows(db, "quarantine_ordered")
    assert told.user_id == account_id and told.urgent
    assert told.params is not None and set(told.params) == {"start", "end"}
    [told_facility] = _rows(db, "quarantine_ordered_facility")
    assert told_facility.params is not None
    assert told_facility.params["facility"] == "Ký túc xá Khu B"

    # early this (local) morning: both are reminded, in their window, once
    early = localtime.at_local(localtime.today(), time(1, 0))
    with db.session_scope() as s:
        assert case_flows.queue_symptom_reminders(s, now=early) == 2
    with db.session_scope() as s:
        assert case_flows.queue_symptom_reminders(s, now=early) == 0
    reminders = _rows(db, "symptom_reminder")
    assert len(reminders) == 2
    mine = next(r for r in reminders if r.person_id == person_id)
    assert localtime.to_local(mine.due_at).time() == time(8, 0)  # the default window
    assert mine.expires_at is not None and mine.expires_at <= localtime.at_local(
        localtime.today() + timedelta(days=1), time.min
    )

    # the person reports before the window: their reminder is withdrawn, the other stays
    reported = client.post("/api/v1/me/quarantine/report", json={}, headers=headers)
    assert reported.status_code == 201, reported.text
    statuses = {r.person_id: r.status for r in _rows(db, "symptom_reminder")}
    assert statuses == {person_id: Status.CANCELLED.value, other: Status.QUEUED.value}

    # after the orders end, nobody is reminded any more
    with db.session_scope() as s:
        assert case_flows.queue_symptom_reminders(s, now=early + timedelta(days=20)) == 0


def test_a_lapsed_declaration_is_reminded_once_and_a_dependent_through_the_guardian(
    db: Database, places: Any
) -> None:
    now = datetime.now(UTC)
    with db.session_scope() as s:
        guardian, account = af.citizen(s, "0912300011", name="Mẹ Lan")
        df.declare(s, person_id=guardian.id, now=now - timedelta(days=8))
        child = f.person(s, "Bé Na", guardian_id=guardian.id)
        df.declare(s, person_id=child.id, now=now - timedelta(days=9))
        long_ago = f.person(s, "Ông Cũ", phone="0912300012")
        df.declare(s, person_id=long_ago.id, now=now - timedelta(days=30))  # lapsed long ago
        fresh = f.person(s, "Cô Mới", phone="0912300013")
        df.declare(s, person_id=fresh.id, now=now - timedelta(days=1))
        guardian_id, account_id, child_id = guardian.id, account.id, child.id
    with db.session_scope() as s:
        assert declaration_flows.queue_declaration_reminders(s, now=now) == 2
    with db.session_scope() as s:
        assert declaration_flows.queue_declaration_reminders(s, now=now) == 0
    rows = {r.person_id: r for r in _rows(db, "declaration_reminder")}
    assert set(rows) == {guardian_id, child_id}
    assert rows[child_id].user_id == account_id  # the guardian's inbox
    assert rows[child_id].params is not None and rows[child_id].params["name"] == "Bé Na"


def test_the_citizen_learns_of_the_answer_to_their_report(
    client: TestClient, db: Database, places: Any, citizen: Any, make_staff: Any
) -> None:
    headers = citizen("0912300021")
    sent = client.post(
        "/api/v1/feedback",
        data={"text": "Quán karaoke mở cửa", "category": "gathering", "ward_code": "26743"},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    ward = make_staff("ward_official", "26743")
    url = f"/api/v1/feedback/{sent.json()['id']}/answer"
    assert client.post(url, json={"answer": "Đã xử lý."}, headers=ward).status_code == 200
    client.post(url, json={"close": True}, headers=ward)  # closing alone tells nothing new
    [row] = _rows(db, "feedback_answered")
    assert row.status == Status.DELIVERED.value  # no device: the inbox has it
    inbox = client.get("/api/v1/inbox", headers=headers).json()
    assert any("Đã xử lý." in n["body"] for n in inbox["items"]), inbox
