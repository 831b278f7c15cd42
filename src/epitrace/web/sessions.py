"""Server-side browser sessions for the pages: the cookie is a random id, the rest is a row.

`SessionMiddleware` loads the `web_session` row named by the cookie and offers its data as
`request.session` (CSRF token, one-time messages), as Starlette's signed-cookie session did.
Signing in and out happen inside the request's transaction (`sign_in`, `sign_out`); the
middleware stores later changes to the data, and when the session was last used, in a small
transaction of its own after the request's has ended. A row that was deleted meanwhile
(signed out elsewhere, password changed) is never brought back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epitrace.accounts import sessions as session_service
from epitrace.accounts.models import UserAccount
from epitrace.config import Settings
from epitrace.db import Database, utcnow

COOKIE_NAME = "epitrace_session"
STATE_KEY = "epitrace.web_session"
# paths that never read or write the session (served without a database look-up)
_SESSIONLESS_PREFIXES = ("/static/",)


timeouts = session_service.timeouts_of


@dataclass
class SessionState:
    """What the middleware knows of the request's session (kept in the ASGI scope)."""

    data: dict[str, Any] = field(default_factory=dict)
    session_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    # the data as stored, to tell whether the request changed it
    stored: dict[str, Any] = field(default_factory=dict)
    last_seen_at: Any = None
    cookie_sent: bool = False  # the browser sent a cookie
    new_cookie: str | None = None  # a cookie value to hand out with this response


def state_of(request: HTTPConnection) -> SessionState:
    state = request.scope.get(STATE_KEY)
    if not isinstance(state, SessionState):
        raise RuntimeError("SessionMiddleware is not installed")
    return state


def signed_in_user(request: HTTPConnection) -> uuid.UUID | None:
    """The account the request's browser session belongs to, if any."""
    state = request.scope.get(STATE_KEY)
    return state.user_id if isinstance(state, SessionState) else None


def current_session_id(request: HTTPConnection) -> uuid.UUID | None:
    state = request.scope.get(STATE_KEY)
    return state.session_id if isinstance(state, SessionState) else None


def sessions_of(session: Session, *, user_id: uuid.UUID, settings: Settings) -> list[Any]:
    """The account's open browser sessions (for the "your sessions" list)."""
    return session_service.get_all_for(session, user_id=user_id, timeouts=timeouts(settings))


def _client(request: HTTPConnection) -> tuple[str | None, str | None]:
    return request.headers.get("user-agent"), request.client.host if request.client else None


def sign_in(request: Request, session: Session, account: UserAccount, settings: Settings) -> None:
    """Start a new session for a freshly signed-in account, in the request's transaction.

    The previous session (and its id) ends: an id known before sign-in is worthless after
    it (no session fixation). The new session has its own CSRF token.
    """
    state = state_of(request)
    if state.session_id is not None:
        session_service.end(session, session_id=state.session_id)
    raw = session_service.new_id()
    user_agent, address = _client(request)
    row = session_service.create(
        session,
        raw=raw,
        user_id=account.id,
        csrf_token=session_service.new_csrf_token(),
        data={},
        timeouts=timeouts(settings),
        user_agent=user_agent,
        ip_address=address,
    )
    state.session_id, state.user_id, state.new_cookie = row.id, account.id, raw
    state.last_seen_at = row.last_seen_at
    state.data.clear()
    state.data["csrf"] = row.csrf_token
    state.stored = dict(state.data)


def sign_out(request: Request, session: Session) -> None:
    """End the request's session, in the request's transaction; its cookie is cleared."""
    state = state_of(request)
    if state.session_id is not None:
        session_service.end(session, session_id=state.session_id)
    state.session_id = state.user_id = state.new_cookie = None
    state.data.clear()
    state.stored = {}


class SessionMiddleware:
    """Loads and stores `request.session` in `web_session` rows; sets the session cookie."""

    def __init__(self, app: ASGIApp, *, database: Database, settings: Settings) -> None:
        self.app = app
        self.database = database
        self.timeouts = timeouts(settings)
        self.secure = settings.secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SESSIONLESS_PREFIXES):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        raw = connection.cookies.get(COOKIE_NAME)
        state = await run_in_threadpool(self._load, raw)
        scope["session"] = state.data
        scope[STATE_KEY] = state

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await run_in_threadpool(self._store, state, connection)
                if cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _load(self, raw: str | None) -> SessionState:
        state = SessionState(cookie_sent=bool(raw))
        if not raw:
            return state
        with self.database.sessionmaker() as session:
            row = session_service.get_live(session, raw=raw, timeouts=self.timeouts)
            if row is None:
                return state
            state.session_id, state.user_id = row.id, row.user_id
            state.last_seen_at = row.last_seen_at
            state.data.update(row.data or {})
            state.data["csrf"] = row.csrf_token
            state.stored = dict(state.data)
        return state

    def _store(self, state: SessionState, connection: HTTPConnection) -> str | None:
        """Write what changed; returns the Set-Cookie value to send, if any."""
        data = {k: v for k, v in state.data.items() if k != "csrf"}
        csrf = str(state.data.get("csrf") or "")
        changed = state.data != state.stored
        if state.session_id is not None:
            stale = state.last_seen_at is None or (
                (utcnow() - state.last_seen_at).total_seconds()
                >= session_service.TOUCH_INTERVAL_SECONDS
            )
            if changed or stale:
                with self.database.session_scope() as session:
                    alive = session_service.save(
                        session,
                        session_id=state.session_id,
                        csrf_token=csrf or session_service.new_csrf_token(),
                        data=data,
                    )
                if not alive:  # ended while this request ran: stays ended
                    return self._cookie("", max_age=0)
            if state.new_cookie is not None:
                return self._cookie(state.new_cookie, max_age=self.timeouts.absolute_seconds)
            return None
        if not state.data:
            # nothing to keep: forget a stale or signed-out cookie
            return self._cookie("", max_age=0) if state.cookie_sent else None
        # an anonymous session (a sign-in form's CSRF token, a message for the next page)
        raw = session_service.new_id()
        user_agent, address = _client(connection)
        with self.database.session_scope() as session:
            session_service.create(
                session,
                raw=raw,
                user_id=None,
                csrf_token=csrf or session_service.new_csrf_token(),
                data=data,
                timeouts=self.timeouts,
                user_agent=user_agent,
                ip_address=address,
            )
        return self._cookie(raw, max_age=self.timeouts.absolute_seconds)

    def _cookie(self, value: str, *, max_age: int) -> str:
        flags = f"{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
        return flags + "; Secure" if self.secure else flags
