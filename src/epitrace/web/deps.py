"""Request dependencies shared by every router: database session, settings, principal, CSRF."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from epitrace.accounts import service as account_service
from epitrace.accounts.sms import SmsChannel
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.errors import N_, Forbidden
from epitrace.security.keys import Keyring
from epitrace.security.permissions import Principal
from epitrace.web import sessions as web_sessions

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_db(request: Request) -> Session:
    """The request's session; the route wrapper commits it after a successful response.

    On SQLite the request first waits for its turn to write (the database's write gate),
    which the route wrapper gives back after the commit or rollback.
    """
    session: Session | None = getattr(request.state, "db", None)
    if session is None:
        database: Database = request.app.state.db
        if database.serialises_writes:
            await database.gate.acquire_async()
            request.state.write_gate = database.gate
        session = database.writer()
        request.state.db = session
    return session


def get_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def get_sms(request: Request) -> SmsChannel:
    sms: SmsChannel = request.app.state.sms
    return sms


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
AppKeyring = Annotated[Keyring, Depends(get_keyring)]
Sms = Annotated[SmsChannel, Depends(get_sms)]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def get_principal(request: Request, session: DbSession) -> Principal | None:
    """Who is calling: a bearer token (API) or the session cookie (pages and their scripts).

    The cookie names a server-side session (`epitrace.web.sessions`); a signed-out, expired
    or revoked one is anonymous. Cookie-authenticated writes must carry the session's CSRF
    token, in the `X-CSRF-Token` header or a `csrf_token` form field.
    """
    # the database is read in a worker thread: a blocking query here would hold up every
    # other request of this process's event loop
    token = bearer(request)
    principal: Principal | None = None
    if token is not None:
        principal = await run_in_threadpool(
            account_service.principal_for_token, session, token=token
        )
    else:
        user_id = web_sessions.signed_in_user(request)
        if user_id is not None:
            principal = await run_in_threadpool(
                account_service.load_principal, session, user_id=user_id
            )
        if principal is not None and request.method in UNSAFE_METHODS:
            await check_csrf(request)
    request.state.principal = principal
    return principal


def client_ip(request: Request) -> str:
    """The caller's address (X-Forwarded-For counts only from EPITRACE_TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


def ensure_csrf(request: Request) -> str:
    """The session's CSRF token, created for pages that show a form before sign-in."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def flash(request: Request, message: str, level: str = "info") -> None:
    """A one-time message shown on the next page."""
    request.session.setdefault("flash", []).append([level, message])


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf", "")
    supplied = request.headers.get("x-csrf-token", "")
    if not supplied and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        supplied = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(expected, supplied):
        raise Forbidden(
            N_("The form has expired. Reload the page and try again."), code="csrf_failed"
        )


CurrentPrincipal = Annotated[Principal | None, Depends(get_principal)]
