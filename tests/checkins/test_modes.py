"""The central privacy mode (the default) is untouched by the on-device routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue


def test_anonymous_counts_are_refused_outside_on_device_mode(
    client: TestClient, db: Database, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    with db.session_scope() as s:
        venue = s.get(Venue, op["venue_id"])
        assert venue is not None
        token = venue_service.token_for(keyring, venue)
    refused = client.post("/api/v1/venue-counts", json={"token": token})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Chỉ đếm ẩn danh trong chế độ riêng tư trên thiết bị."
    # notices are public in every mode (an empty list here)
    assert client.get("/api/v1/hotspot-notices").json()["notices"] == []
