"""X-Forwarded-For and X-Forwarded-Proto count only from the configured reverse proxies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from epitrace import cli
from epitrace.app import create_app
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.security.models import AuditEntry
from epitrace.security.permissions import public
from epitrace.web.routing import make_router
from tests import factories


def _audited_ips(db: Database) -> list[str | None]:
    with db.session_scope() as s:
        return list(s.scalars(select(AuditEntry.ip).order_by(AuditEntry.at)))


def _create_staff(client: TestClient, headers: dict[str, str], username: str, **kw: Any) -> None:
    response = client.post(
        "/api/v1/users",
        headers=headers | kw.get("extra", {}),
        json={
            "username": username,
            "password": "a-long-password",
            "grants": [{"role": "health_officer", "area_code": "79"}],
        },
    )
    assert response.status_code == 201, response.text


def _admin_headers(db: Database, client: TestClient) -> dict[str, str]:
    with db.session_scope() as s:
        factories.staff(s, username="quan-tri", role="system_admin", area=None)
    return factories.token_headers(client, username="quan-tri")


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_not_recorded(
    settings: Settings, db: Database, places: Any
) -> None:
    app = create_app(settings, database=db)  # no trusted proxies (the default)
    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        admin = _admin_headers(db, client)
        _create_staff(client, admin, "bs-mot", extra={"X-Forwarded-For": "198.51.100.1"})
    assert _audited_ips(db) == ["203.0.113.9"]


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_recorded(
    settings: Settings, db: Database, places: Any
) -> None:
    trusted = settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"})
    app = create_app(trusted, database=db)
    with TestClient(app, client=("10.1.2.3", 40000)) as client:
        admin = _admin_headers(db, client)
        # the caller wrote a leftmost address; the proxies appended the real ones
        forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.9.9.9"}
        _create_staff(client, admin, "bs-hai", extra=forwarded)
        proto = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "; Secure" not in proto.headers["set-cookie"]  # forced plain in the tests
    assert _audited_ips(db) == ["203.0.113.7"]
    # an untrusted peer sending the same headers is recorded as itself
    with TestClient(app, client=("192.0.2.50", 40000)) as client:
        admin = factories.token_headers(client, username="quan-tri")
        _create_staff(client, admin, "bs-ba", extra=forwarded)
    assert _audited_ips(db)[-1] == "192.0.2.50"


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings(_env_file=None, trusted_proxies=" 10.0.0.1/8 , ::1,192.0.2.7 ")
    assert settings.trusted_proxy_list == ["10.0.0.0/8", "::1", "192.0.2.7"]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, trusted_proxies="proxy.example.vn")
    assert Settings(_env_file=None).trusted_proxy_list == []


def test_serve_gives_uvicorn_only_the_trusted_proxies() -> None:
    assert cli.proxy_options(Settings(_env_file=None)) == {"proxy_headers": False}
    assert cli.proxy_options(Settings(_env_file=None, trusted_proxies="10.0.0.2")) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.2"],
    }


def test_the_scheme_from_a_trusted_proxy_reaches_the_app(settings: Settings, db: Database) -> None:
    trusted = settings.model_copy(update={"trusted_proxies": "10.0.0.1"})
    app = create_app(trusted, database=db)
    router = make_router()

    @router.get("/scheme")
    @public
    def scheme(request: Request) -> dict[str, str]:
        return {"scheme": request.url.scheme}

    app.include_router(router)
    headers = {"X-Forwarded-Proto": "https"}
    with TestClient(app, client=("10.0.0.1", 1)) as proxied:
        assert proxied.get("/scheme", headers=headers).json() == {"scheme": "https"}
    with TestClient(app, client=("192.0.2.1", 1)) as direct:
        assert direct.get("/scheme", headers=headers).json() == {"scheme": "http"}
