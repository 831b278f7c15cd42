"""The demo data of the exposure domain, seeded with the rest of the demo."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace import demo
from epitrace.db import Database
from epitrace.exposure.models import ExposureKey, VerificationCode


def test_demo_seed_gives_the_counts_page_something_to_show(
    client: TestClient, db: Database
) -> None:
    with db.session_scope() as s:
        demo.seed(s)
    with db.session_scope() as s:
        demo.seed(s)  # a second run adds nothing
        assert s.scalar(select(func.count()).select_from(VerificationCode)) == 3
        assert (s.scalar(select(func.count()).select_from(ExposureKey)) or 0) >= 10
    token = client.post(
        "/api/v1/auth/token", json={"username": "health", "password": demo.DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    figures = client.get("/api/v1/exposure/counts?area=79", headers=headers).json()
    assert (figures["codes_issued"], figures["codes_used"], figures["reports"]) == (3, 2, 5)
