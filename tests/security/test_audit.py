"""The audit log records who read or changed which personal record, when and from where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epitrace.security import audit
from epitrace.security.audit import RequestOrigin, set_origin
from epitrace.security.models import AuditEntry
from epitrace.security.permissions import Principal


def test_record_carries_actor_subject_and_origin(session: Session) -> None:
    actor = Principal(user_id=__import__("uuid").uuid4(), kind="staff", display_name="Bác sĩ Hà")
    set_origin(RequestOrigin(ip="10.1.2.3", user_agent="Chromium"))
    try:
        audit.record(
            session,
            actor=actor,
            action="read",
            subject_type="person",
            subject_id="abc",
            purpose="tracing",
        )
    finally:
        set_origin(None)
    audit.record(session, actor=None, action="delete", subject_type="presence", subject_id=1)
    session.flush()
    rows, total = audit.get_all(session)
    assert total == 2
    by_action = {r.action: r for r in rows}
    assert by_action["read"].actor_label == "Bác sĩ Hà"
    assert by_action["read"].ip == "10.1.2.3"
    assert by_action["read"].purpose == "tracing"
    assert by_action["delete"].actor_label == "system"
    assert by_action["delete"].ip == "cli"
    only, count = audit.get_all(session, subject_type="person", subject_id="abc")
    assert count == 1
    assert only[0].subject_id == "abc"


def test_audit_log_is_visible_to_system_admins_only(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    admin = make_staff("system_admin", None)
    client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "an-le",
            "password": "a-long-password",
            "grants": [{"role": "ward_official", "area_code": "26743"}],
        },
    )
    page = client.get("/admin/audit", headers=admin)
    assert page.status_code == 200
    assert "tài khoản cán bộ" in page.text  # record types read as words, not table names
    assert "testclient" in page.text  # the request's origin
    health = make_staff("health_officer", "79")
    assert client.get("/api/v1/audit", headers=health).status_code == 403


def test_every_audit_action_written_fits_its_column() -> None:
    # SQLite stores a longer value, PostgreSQL refuses it (an escrow action did, once): the
    # names the code writes are checked against the column, whichever database a test uses
    width = AuditEntry.__table__.c.action.type.length
    source = Path(audit.__file__).resolve().parents[1]
    actions = {
        name
        for path in source.rglob("*.py")
        for name in re.findall(r'\baction="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert len(actions) > 20  # the pattern still finds them
    assert sorted(a for a in actions if len(a) > width) == []
