"""Browser sessions live on the server: the cookie is only a random id of a `web_session` row."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from epitrace.accounts.models import UserAccount, WebSession
from epitrace.app import create_app
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.security.tasks import purge_expired
from tests import factories

COOKIE = "epitrace_session"


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def page_login(client: TestClient, username: str) -> str:
    """Sign in through the staff page; returns the session cookie's value."""
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": factories.STAFF_PASSWORD,
            "csrf_token": csrf_of(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(COOKIE)
    assert cookie
    return cookie


def staff_account(
    db: Database, username: str, role: str = "health_officer", area: Any = "79"
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username=username, role=role, area=area)


def test_a_copied_session_cookie_stops_working_after_logout(
    app: Any, db: Database, places: Any
) -> None:
    staff_account(db, "bs-lan")
    with TestClient(app) as browser, TestClient(app) as thief:
        cookie = page_login(browser, "bs-lan")
        thief.cookies.set(COOKIE, cookie)
        assert thief.get("/api/v1/me").status_code == 200
        out = browser.post("/logout", data={"csrf_token": csrf_of(browser, "/staff")})
        assert out.status_code in (200, 303)
        assert thief.get("/api/v1/me").status_code == 401
        assert thief.get("/staff", follow_redirects=False).status_code == 303


def test_the_cookie_is_a_random_id_stored_hashed_with_safe_flags(
    app: Any, db: Database, places: Any
) -> None:
    staff_account(db, "bs-hoa")
    with TestClient(app) as browser:
        browser.get("/login")
        anonymous = browser.cookies.get(COOKIE)
        assert anonymous  # the sign-in form's CSRF token lives in an anonymous session
        response = browser.post(
            "/login",
            data={
                "username": "bs-hoa",
                "password": factories.STAFF_PASSWORD,
                "csrf_token": csrf_of(browser),
            },
            follow_redirects=False,
        )
        header = response.headers["set-cookie"]
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
        assert "Secure" not in header  # the test settings force plain cookies
        cookie = browser.cookies.get(COOKIE)
        assert cookie and cookie != anonymous  # a new id at sign-in: no fixation
        assert "." not in cookie and len(cookie) < 60  # no signed payload, only an id
    with db.session_scope() as s:
        rows = s.scalars(select(WebSession)).all()
        hashes = {row.id_hash for row in rows}
    assert hashlib.sha256(cookie.encode()).hexdigest() in hashes
    assert cookie not in hashes and anonymous not in hashes
    # the id known before sign-in no longer names a session
    assert hashlib.sha256(anonymous.encode()).hexdigest() not in hashes


def test_secure_cookie_when_the_site_is_https(db: Database, settings: Settings) -> None:
    https = create_app(settings.model_copy(update={"cookie_secure": None}), database=db)
    with TestClient(https, base_url="https://epitrace.example.vn") as browser:
        header = browser.get("/login").headers["set-cookie"]
    assert "; Secure" in header and "HttpOnly" in header


def test_sessions_end_at_the_idle_and_absolute_timeouts(
    app: Any, db: Database, places: Any
) -> None:
    staff_account(db, "bs-tuan")
    with TestClient(app) as browser:
        page_login(browser, "bs-tuan")
        assert browser.get("/api/v1/me").status_code == 200
        with db.session_scope() as s:
            s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=3)))
        assert browser.get("/api/v1/me").status_code == 401
        page_login(browser, "bs-tuan")
        with db.session_scope() as s:
            s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert browser.get("/api/v1/me").status_code == 401
    with db.session_scope() as s:
        assert purge_expired(s, Settings()) >= 2
        assert s.scalars(select(WebSession)).all() == []


def test_password_change_ends_the_other_sessions_and_tokens(
    app: Any, db: Database, places: Any
) -> None:
    staff_account(db, "bs-mai")
    with TestClient(app) as here, TestClient(app) as there, TestClient(app) as api:
        page_login(here, "bs-mai")
        page_login(there, "bs-mai")
        token = factories.token_headers(api, username="bs-mai")
        listed = here.get("/api/v1/me/sessions").json()
        assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
        wrong = here.post(
            "/account/password",
            data={
                "current_password": "not-it",
                "new_password": "a-new-long-password",
                "csrf_token": csrf_of(here, "/account"),
            },
        )
        assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng" in wrong.text
        changed = here.post(
            "/account/password",
            data={
                "current_password": factories.STAFF_PASSWORD,
                "new_password": "a-new-long-password",
                "csrf_token": csrf_of(here, "/account"),
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert here.get("/api/v1/me").status_code == 200
        assert there.get("/api/v1/me").status_code == 401
        assert api.get("/api/v1/me", headers=token).status_code == 401
        fresh = factories.token_headers(api, username="bs-mai", password="a-new-long-password")
        # through the API: the calling token stays, the browser session ends
        assert (
            api.put(
                "/api/v1/me/password",
                headers=fresh,
                json={
                    "current_password": "a-new-long-password",
                    "new_password": "another-long-password",
                },
            ).status_code
            == 204
        )
        assert api.get("/api/v1/me", headers=fresh).status_code == 200
        assert here.get("/api/v1/me").status_code == 401


def test_sign_out_everywhere_from_the_page_and_the_api(
    app: Any, db: Database, places: Any, sms: Any
) -> None:
    staff_account(db, "bs-an")
    with TestClient(app) as here, TestClient(app) as there, TestClient(app) as api:
        page_login(here, "bs-an")
        page_login(there, "bs-an")
        token = factories.token_headers(api, username="bs-an")
        page = here.get("/account")
        assert page.status_code == 200 and 'data-testid="sign-out-everywhere"' in page.text
        out = here.post(
            "/account/sign-out-everywhere",
            data={"csrf_token": csrf_of(here, "/account")},
            follow_redirects=False,
        )
        assert out.status_code == 303 and out.headers["location"] == "/login"
        for browser in (here, there):
            assert browser.get("/api/v1/me").status_code == 401
        assert api.get("/api/v1/me", headers=token).status_code == 401
        # a citizen, through the API with a token
        citizen = factories.citizen_headers(api, sms, "0912000111")
        ended = api.post("/api/v1/me/sign-out-everywhere", headers=citizen)
        assert ended.status_code == 200 and ended.json()["ended"] >= 1
        assert api.get("/api/v1/me", headers=citizen).status_code == 401


def test_administrators_sign_out_and_reset_accounts_of_their_area_only(
    app: Any, db: Database, places: Any, make_staff: Any
) -> None:
    hcm_admin = make_staff("system_admin", "79")
    staff_account(db, "bs-sg", area="26743")
    staff_account(db, "bs-hn", area="00070")
    with TestClient(app) as sg, TestClient(app) as hn, TestClient(app) as api:
        page_login(sg, "bs-sg")
        page_login(hn, "bs-hn")
        users = {u["username"]: u["id"] for u in api.get("/api/v1/users", headers=hcm_admin).json()}
        assert "bs-hn" not in users
        with db.session_scope() as s:
            hn_id = s.scalars(select(UserAccount.id).where(UserAccount.username == "bs-hn")).one()
        refused = api.post(f"/api/v1/users/{hn_id}/sign-out", headers=hcm_admin)
        assert refused.status_code == 403
        assert hn.get("/api/v1/me").status_code == 200
        done = api.post(f"/api/v1/users/{users['bs-sg']}/sign-out", headers=hcm_admin)
        assert done.status_code == 200 and done.json()["ended"] == 1
        assert sg.get("/api/v1/me").status_code == 401
        # a password reset by the administrator ends the sessions and tokens as well
        page_login(sg, "bs-sg")
        sg_token = factories.token_headers(api, username="bs-sg")
        reset = api.post(
            f"/api/v1/users/{users['bs-sg']}/password",
            headers=hcm_admin,
            json={"password": "a-fresh-long-password"},
        )
        assert reset.status_code == 204
        assert sg.get("/api/v1/me").status_code == 401
        assert api.get("/api/v1/me", headers=sg_token).status_code == 401
        actions = [
            e["action"]
            for e in api.get(
                "/api/v1/audit", headers=hcm_admin, params={"subject_id": users["bs-sg"]}
            ).json()["items"]
        ]
        assert "sign_out" in actions


def test_admin_page_signs_an_account_out(
    app: Any, db: Database, places: Any, make_staff: Any
) -> None:
    staff_account(db, "quan-tri", role="system_admin", area="79")
    staff_account(db, "bs-ben-thanh", area="26743")
    with TestClient(app) as admin, TestClient(app) as other:
        page_login(admin, "quan-tri")
        page_login(other, "bs-ben-thanh")
        with db.session_scope() as s:
            other_id = s.scalars(
                select(UserAccount.id).where(UserAccount.username == "bs-ben-thanh")
            ).one()
        url = f"/admin/users/{other_id}"
        assert 'data-testid="admin-sign-out"' in admin.get(url).text
        done = admin.post(
            url + "/sign-out", data={"csrf_token": csrf_of(admin, url)}, follow_redirects=False
        )
        assert done.status_code == 303
        assert other.get("/api/v1/me").status_code == 401
        assert admin.get("/api/v1/me").status_code == 200


def test_a_deactivated_account_loses_its_sessions(
    app: Any, db: Database, places: Any, make_staff: Any
) -> None:
    hcm_admin = make_staff("system_admin", "79")
    staff_account(db, "bs-nghi", area="26743")
    with TestClient(app) as browser, TestClient(app) as api:
        page_login(browser, "bs-nghi")
        with db.session_scope() as s:
            user_id = s.scalars(
                select(UserAccount.id).where(UserAccount.username == "bs-nghi")
            ).one()
        off = api.patch(f"/api/v1/users/{user_id}", headers=hcm_admin, json={"is_active": False})
        assert off.status_code == 200
        with db.session_scope() as s:
            assert s.scalars(select(WebSession).where(WebSession.user_id == user_id)).all() == []
