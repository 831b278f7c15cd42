"""The status colour follows the cases domain: confirmed case and quarantine are red."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from epitrace.cases.models import (
    Case,
    CaseStatus,
    QuarantineKind,
    QuarantineOrder,
)
from epitrace.cases.models import (
    TestType as LabTestType,
)
from epitrace.db import Database
from tests.declarations.factories import payload


def statuses(client: TestClient, headers: dict[str, str]) -> tuple[str, str]:
    mine = client.get("/api/v1/declarations/status", headers=headers).json()[0]
    return mine["colour"], mine["reason_code"]


def test_case_and_quarantine_turn_the_status_and_the_pass_red(
    client: TestClient, places: Any, citizen: Any, db: Database, make_staff: Any
) -> None:
    headers = citizen()
    person_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["person_id"])
    client.post("/api/v1/declarations", json=payload(), headers=headers)
    assert statuses(client, headers) == ("green", "declared_no_risk")

    now = datetime.now(UTC)
    with db.session_scope() as s:
        s.add(
            QuarantineOrder(
                person_id=person_id,
                reason="f1",
                kind=QuarantineKind.HOME,
                ward_code="26743",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=6),
            )
        )
    assert statuses(client, headers) == ("red", "quarantine")

    with db.session_scope() as s:
        s.add(
            Case(
                person_id=person_id,
                ward_code="26743",
                test_type=LabTestType.PCR,
                sampled_at=now - timedelta(days=1),
                confirmed_at=now,
            )
        )
    assert statuses(client, headers) == ("red", "confirmed_case")
    issued = client.get(f"/api/v1/passes/{person_id}", headers=headers).json()
    assert issued["colour"] == "red"
    operator = make_staff("venue_operator", "26743")
    verified = client.post("/api/v1/passes/verify", json={"text": issued["text"]}, headers=operator)
    assert verified.json()["colour"] == "red"


def test_vaccination_preset_counts_recovery_from_the_cases_domain(
    app: Any, client: TestClient, places: Any, citizen: Any, db: Database
) -> None:
    app.state.settings.status_policy = "vaccination_based"
    headers = citizen()
    person_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["person_id"])
    client.post("/api/v1/declarations", json=payload(), headers=headers)
    assert statuses(client, headers) == ("red", "not_protected")
    client.post("/api/v1/declarations", json=payload(dose_dates=["2021-08-01"]), headers=headers)
    assert statuses(client, headers) == ("yellow", "one_dose")
    now = datetime.now(UTC)
    with db.session_scope() as s:
        s.add(
            Case(
                person_id=person_id,
                ward_code="26743",
                test_type=LabTestType.RAPID,
                sampled_at=now - timedelta(days=40),
                confirmed_at=now - timedelta(days=40),
                status=CaseStatus.RECOVERED,
                recovered_at=now - timedelta(days=30),
            )
        )
    assert statuses(client, headers) == ("green", "recovered")
    client.post(
        "/api/v1/declarations",
        json=payload(dose_dates=["2021-08-01", "2021-09-01"]),
        headers=headers,
    )
    assert statuses(client, headers) == ("green", "fully_vaccinated")
