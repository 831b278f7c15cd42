"""The escrow routes: a health officer asks to open a case's days, two officials upload their
shares, and the second upload traces the case."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epitrace.cli_support import acting
from epitrace.config import Settings
from epitrace.escrow import crypto
from epitrace.escrow import tasks as escrow_tasks
from epitrace.security.keys import Keyring
from tests.escrow.test_escrow import ceremony, seed


def test_open_a_case_by_two_uploads(
    client: TestClient, session: Session, places: Any, make_staff: Any, settings: Settings,
    tmp_path: Any,
) -> None:  # fmt: skip
    officer = make_staff("health_officer", "79", "yte-a")
    second = make_staff("health_officer", "79", "yte-b")
    province = make_staff("province_official", "79", "tinh-a")
    make_staff("venue_operator", "26743", "cua-a")
    made = ceremony(session)
    escrow = settings.model_copy(update={"privacy_mode": "escrow"})
    world = seed(
        session, ring=Keyring(tmp_path / "ring"), settings=escrow, suffix="E",
        operator=acting(session, "cua-a"),
    )  # fmt: skip
    session.commit()

    asked = client.post(
        f"/api/v1/cases/{world.case.id}/escrow-openings",
        json={"reason": "Truy vết ca F0"},
        headers=officer,
    )
    assert asked.status_code == 201, asked.text
    opening = asked.json()
    assert opening["status"] == "requested"
    url = f"/api/v1/escrow-openings/{opening['id']}/approvals"

    def upload(headers: dict[str, str], content: bytes) -> Any:
        return client.post(
            url, files={"share": ("share.json", content, "application/json")}, headers=headers
        )

    damaged = upload(second, b"not a share")
    assert damaged.status_code == 422
    assert damaged.json()["code"] == "escrow_share_refused"
    first = upload(second, crypto.share_file(made, "a").encode())
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "requested" and first.json()["trace_id"] is None
    alone = upload(second, crypto.share_file(made, "b").encode())
    assert alone.status_code == 409
    assert alone.json()["code"] == "escrow_same_official"
    done = upload(province, crypto.share_file(made, "b").encode())
    assert done.status_code == 201, done.text
    # approved at once; the worker's job opens and traces (the request does not wait for it)
    assert (done.json()["status"], done.json()["trace_id"]) == ("approved", None)
    state = f"/api/v1/escrow-openings/{opening['id']}"
    assert client.get(state, headers=officer).json()["status"] == "approved"
    assert escrow_tasks.open_approved(session, settings).endswith("presences opened and traced")
    session.commit()
    assert escrow_tasks.open_approved(session, settings) == "none waiting"
    body = client.get(state, headers=province).json()
    assert body["status"] == "traced" and body["trace_id"]
    assert body["opened_presences"] >= 9
    assert body["f1_count"] > 0 and body["f2_count"] > 0
    # the contacts are the ordinary trace's
    contacts = client.get(f"/api/v1/cases/{world.case.id}/contacts", headers=officer)
    assert contacts.status_code == 200
    assert {c["full_name"] for c in contacts.json()["f1"]} >= {"Trần Thị Bình E"}
    # the F0's own check-ins are sealed: unknown, not "none" (no false warning)
    assert contacts.json()["f0_presences"] is None
    assert contacts.json()["warning"] is None


def test_the_openings_page_offers_nothing_where_check_ins_are_not_sealed(
    client: TestClient, session: Session, places: Any, make_staff: Any, settings: Settings,
    tmp_path: Any,
) -> None:  # fmt: skip
    """In the central mode (this app's) the page says to trace from the case page; the forms
    to ask for and approve an opening are offered only in the escrow mode."""
    officer = make_staff("health_officer", "79", "yte-c")
    make_staff("venue_operator", "26743", "cua-c")
    world = seed(
        session, ring=Keyring(tmp_path / "ring"), settings=settings, suffix="C",
        operator=acting(session, "cua-c"),
    )  # fmt: skip
    session.commit()
    page = client.get(f"/cases/{world.case.id}/escrow", headers=officer)
    assert page.status_code == 200, page.text
    assert 'data-testid="escrow-off"' in page.text
    assert 'data-testid="ask-opening"' not in page.text
    case_page = client.get(f"/cases/{world.case.id}", headers=officer)
    assert 'data-testid="run-trace"' in case_page.text
    assert 'data-testid="escrow-openings"' not in case_page.text
