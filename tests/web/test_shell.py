"""The web shell: language negotiation, friendly errors, health check, security headers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from epitrace.security.permissions import public
from epitrace.web import i18n, i18n_tools
from epitrace.web.routing import make_router


def test_home_is_vietnamese_by_default_and_english_on_request(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="vi">' in home.text
    assert "Chung tay phòng, chống dịch" in home.text
    assert home.headers["content-language"] == "vi"
    # a browser's language does not switch pages away from Vietnamese; the reader's choice does
    browser_en = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Chung tay phòng, chống dịch" in browser_en.text
    english = client.get("/?lang=en")
    assert "Together against the epidemic" in english.text
    switched = client.get("/lang/en?next=/places", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/places"
    assert "lang=en" in switched.headers["set-cookie"]
    assert "Together against" in client.get("/").text  # the cookie sticks
    evil = client.get("/lang/vi?next=//evil.example", follow_redirects=False)
    assert evil.headers["location"] == "/"


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_healthz(client: TestClient, backend: str) -> None:
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "database": backend}


def test_the_site_has_an_icon_for_browsers_and_the_installed_app(client: TestClient) -> None:
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200
    assert favicon.content[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    manifest = client.get("/manifest.webmanifest").json()
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200
        assert image.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_not_found_is_a_friendly_page_or_problem_details(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "Trang bạn tìm không tồn tại." in page.text
    assert "Traceback" not in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_validation_errors_name_each_field_in_the_users_language(
    client: TestClient, citizen: Any
) -> None:
    headers = citizen()
    response = client.post(
        "/api/v1/me/dependents",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"].values()) == {"Nội dung yêu cầu không phải JSON hợp lệ."}
    response = client.post(
        "/api/v1/me/dependents",
        headers={**headers, "Accept-Language": "en"},
        json={"birth_year": "old"},
    )
    assert response.json()["errors"] == {
        "full_name": "This field is required.",
        "birth_year": "Enter a whole number.",
    }


def test_unexpected_errors_never_show_a_traceback(app: FastAPI) -> None:
    router = make_router()

    @router.get("/boom")
    @public
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom")
        api = client.get("/boom", headers={"Accept": "application/json"})
    assert page.status_code == 500
    assert "hunter2" not in page.text
    assert "Hệ thống gặp sự cố" in page.text
    assert api.json()["code"] == "internal_error"
    assert "hunter2" not in api.text


def test_the_code_page_offers_a_new_code_and_another_number(client: TestClient, sms: Any) -> None:
    client.get("/signin?next=/declarations")
    first = client.post(
        "/signin",
        data={"phone": "0912 345 679", "next": "/declarations", "csrf_token": _csrf(client)},
    )
    assert first.status_code == 200
    assert 'data-testid="resend-code"' in first.text
    assert "Gửi mã mới" in first.text
    assert 'href="/signin?next=/declarations"' in first.text
    # the resend form posts the number again without a code: a new code is sent
    again = client.post(
        "/signin",
        data={"phone": "0912 345 679", "next": "/declarations", "csrf_token": _csrf(client)},
    )
    assert again.status_code == 200
    assert len(sms.messages("+84912345679")) == 2


def test_pages_refuse_cookie_writes_without_the_csrf_token(client: TestClient, sms: Any) -> None:
    client.get("/signin")
    client.post(
        "/signin",
        data={
            "phone": "0912345678",
            "csrf_token": client.cookies.get("epitrace_session") and _csrf(client),
        },
    )
    from tests.factories import last_code

    code = last_code(sms, "+84912345678")
    signed_in = client.post(
        "/signin",
        data={"phone": "0912345678", "code": code, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/me"
    forged = client.post("/me/dependents", data={"full_name": "Kẻ Lạ"})
    assert forged.status_code == 403
    assert "Biểu mẫu đã hết hạn" in forged.text
    ok = client.post(
        "/me/dependents",
        data={"full_name": "Bà Nội", "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Bà Nội" in client.get("/me").text


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


@pytest.mark.parametrize("domain_dir", i18n_tools.domain_dirs(), ids=lambda p: p.name)
def test_every_message_has_a_vietnamese_translation(domain_dir: Any) -> None:
    assert i18n_tools.missing(domain_dir) == []


def test_no_message_is_translated_two_ways() -> None:
    # Catalogs merge at start-up: a second translation of the same text would win somewhere.
    assert i18n_tools.conflicts() == {}


def test_translation_placeholders_match() -> None:
    import re

    catalog = i18n.translations("vi")
    for domain_dir in i18n_tools.domain_dirs():
        for msgid in i18n_tools.extract(domain_dir):
            translated = catalog.ugettext(msgid)
            assert sorted(re.findall(r"%\((\w+)\)s", msgid)) == sorted(
                re.findall(r"%\((\w+)\)s", translated)
            ), msgid
