"""The route class every router uses: permission-check guard, UTF-8 bodies, transactions.

A route's database session (created on demand by `get_db`) is committed here after the
endpoint succeeds and before the response leaves, so that a failed commit is an error
response, never a lost write behind a 200. On SQLite the request holds the database's write
gate from its first use of the session until after the commit (see `epitrace.db.WriteGate`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from epitrace.errors import N_, Forbidden
from epitrace.security.permissions import begin_checks, end_checks, is_public
from epitrace.web.bodies import check_encoding


class GuardedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        endpoint_public = is_public(self.endpoint)

        async def guarded(request: Request) -> Response:
            record, token = begin_checks(public_route=endpoint_public)
            try:
                await check_encoding(request)
                response = await handler(request)
                if not record.checked and response.status_code < 400:
                    raise Forbidden(N_("This page has no permission rule; access is refused."))
                session: Session | None = getattr(request.state, "db", None)
                if session is not None:
                    if response.status_code < 400:
                        await run_in_threadpool(session.commit)
                    else:
                        await run_in_threadpool(session.rollback)
                return response
            except BaseException:
                session = getattr(request.state, "db", None)
                if session is not None:
                    await run_in_threadpool(session.rollback)
                raise
            finally:
                end_checks(token)
                session = getattr(request.state, "db", None)
                try:
                    if session is not None:
                        request.state.db = None
                        await run_in_threadpool(session.close)
                finally:
                    gate = getattr(request.state, "write_gate", None)
                    if gate is not None:
                        request.state.write_gate = None
                        gate.release()

        return guarded


def make_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes are guarded and own their transaction."""
    return APIRouter(route_class=GuardedRoute, **kwargs)


def iter_api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, including those of included routers (at any depth)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from iter_api_routes(included.routes)
