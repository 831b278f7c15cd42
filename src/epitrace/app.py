"""FastAPI application factory: settings, database, routers, templates, static files, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from epitrace import __version__, localtime
from epitrace.accounts.sms import get_channel
from epitrace.alerts import worker as alert_worker
from epitrace.config import Settings, get_settings
from epitrace.db import Database
from epitrace.domains import domain_modules, import_models
from epitrace.errors import N_, DomainError, SignInRequired
from epitrace.jobs import Scheduler
from epitrace.security import ratelimit
from epitrace.security.audit import RequestOrigin, set_origin
from epitrace.security.keys import Keyring
from epitrace.web import fields, i18n, openapi
from epitrace.web.redirects import sign_in_url
from epitrace.web.routing import iter_api_routes
from epitrace.web.sessions import SessionMiddleware
from epitrace.web.templating import render

log = logging.getLogger("epitrace")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


class RequestContextMiddleware:
    """Sets the request's language and origin (for the audit log) and security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # Pages are Vietnamese unless the reader chose English; API clients may also ask
        # through Accept-Language.
        accept = (
            request.headers.get("accept-language") if scope["path"].startswith("/api/") else None
        )
        i18n.set_locale(
            i18n.negotiate(request.query_params.get("lang"), request.cookies.get("lang"), accept)
        )
        # The client address as ProxyHeadersMiddleware resolved it: X-Forwarded-For counts
        # only when the direct peer is a trusted proxy (EPITRACE_TRUSTED_PROXIES).
        ip = request.client.host if request.client else None
        set_origin(RequestOrigin(ip=ip, user_agent=request.headers.get("user-agent")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.extend(
                    [
                        (b"x-content-type-options", b"nosniff"),
                        (b"x-frame-options", b"DENY"),
                        (b"referrer-policy", b"same-origin"),
                        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                        (b"content-language", i18n.get_locale().encode()),
                    ]
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def problem(
    status: int, code: str, detail: str, errors: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://epitrace.invalid/problems/{code}",
        "title": code,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _error_page(
    request: Request, status: int, detail: str, fields: dict[str, str] | None = None
) -> Response:
    back = _form_page_of(request)
    if back is not None and 400 <= status < 500:
        # A refused form goes back to its page, which shows why beside what was typed.
        request.session["form_error"] = {
            "action": request.url.path,
            "status": status,
            "detail": detail,
            "fields": fields or {},
        }
        return RedirectResponse(back, status_code=303)
    context = {"status": status, "detail": detail, "fields": fields or {}}
    return render(request, "error.html", context, status_code=status)


def _form_page_of(request: Request) -> str | None:
    """The same-site page a browser posted a form from (path and query), if any."""
    if request.method != "POST" or "session" not in request.scope:
        return None
    referer = request.headers.get("referer", "")
    if not referer:
        return None
    origin = urlsplit(referer)
    if (origin.scheme, origin.netloc) != (request.url.scheme, request.url.netloc):
        return None
    if not origin.path.startswith("/") or origin.path.startswith("//"):
        return None
    return origin.path + (f"?{origin.query}" if origin.query else "")


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, DomainError):
        raise exc
    detail = i18n.gettext(exc.message, **exc.params)
    fields = {k: i18n.gettext(v) for k, v in exc.fields.items()}
    headers = exc.headers()
    if _wants_json(request):
        response: Response = problem(exc.status_code, exc.code, detail, fields, **exc.details())
    elif isinstance(exc, SignInRequired):
        # staff pages to the password sign-in, everything a citizen may open to the phone
        # sign-in (it links to the staff one); both come back here afterwards
        page = "/login" if exc.audience == "staff" else "/signin"
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(sign_in_url(page, here), status_code=303)
    else:
        response = _error_page(request, exc.status_code, detail, fields)
    response.headers.update(headers)
    return response


_VALIDATION_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This value is too short."),
    "string_too_long": N_("This value is too long."),
    "int_parsing": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "uuid_parsing": N_("This is not a valid identifier."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "datetime_from_date_parsing": N_("Enter a valid date and time."),
    "date_parsing": N_("Enter a valid date."),
    "datetime_parsing": N_("Enter a valid date and time."),
    "json_invalid": N_("The request body is not valid JSON."),
    "enum": N_("Choose one of the allowed values."),
    "literal_error": N_("Choose one of the allowed values."),
    "greater_than_equal": N_("Enter a value of at least %(ge)s."),
    "less_than_equal": N_("Enter a value of at most %(le)s."),
    "greater_than": N_("Enter a value greater than %(gt)s."),
    "less_than": N_("Enter a value less than %(lt)s."),
    "date_out_of_range": fields.DATE_RANGE_MESSAGE,
    "year_out_of_range": fields.YEAR_RANGE_MESSAGE,
    "timezone_aware": N_("Give the time with its time zone (for example +07:00)."),
    "too_long": N_("Too many items."),
    "too_short": N_("Too few items."),
    "bool_parsing": N_("Enter yes or no."),
    "string_type": N_("Enter text."),
    "int_type": N_("Enter a whole number."),
    "list_type": N_("Enter a list."),
    "model_attributes_type": N_("Enter an object."),
    "dict_type": N_("Enter an object."),
    "string_pattern_mismatch": N_("This value has the wrong format."),
    "extra_forbidden": N_("This field is not allowed."),
}


_OBJECT_MESSAGES = {
    _VALIDATION_MESSAGES["model_attributes_type"],
    _VALIDATION_MESSAGES["dict_type"],
}


def _sent_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in {"", "application/json"} or content_type.endswith("+json")


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        # a JSON syntax error is located by character offset: it is the body's error
        key = "body" if err.get("type") == "json_invalid" else ".".join(loc) or "body"
        msgid = _VALIDATION_MESSAGES.get(err.get("type", ""))
        if key == "body" and msgid in _OBJECT_MESSAGES and not _sent_json(request):
            msgid = N_("Send the body as JSON, with the header Content-Type: application/json.")
        if msgid is not None:
            ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
            errors[key] = i18n.gettext(msgid, **ctx)
        elif err.get("type") == "value_error":
            # our own validators raise ValueError with an English msgid
            raw = str(err.get("ctx", {}).get("error", err.get("msg", "")))
            errors[key] = i18n.gettext(raw)
        else:
            errors[key] = i18n.gettext(N_("This value is not valid."))
    detail = i18n.gettext(N_("Some fields are not valid."))
    if _wants_json(request):
        return problem(422, "invalid", detail, errors)
    return _error_page(request, 422, detail, errors)


_HTTP_MESSAGES = {
    # the framework's 400 is a body it could not parse (broken multipart, undecodable JSON)
    400: N_("The request body could not be read."),
    404: N_("The page you asked for does not exist."),
    405: N_("This method is not allowed here."),
    413: N_("The upload is too large."),
}
_HTTP_FALLBACK_MESSAGE = N_("The request could not be served.")


async def http_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    detail = i18n.gettext(_HTTP_MESSAGES.get(exc.status_code, _HTTP_FALLBACK_MESSAGE))
    if _wants_json(request):
        response: Response = problem(exc.status_code, f"http_{exc.status_code}", detail)
    else:
        response = _error_page(request, exc.status_code, detail)
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (the router names only the first route's)."""
    routes = [*request.app.router.routes, *iter_api_routes(request.app.routes)]
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return sorted(methods)


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = i18n.gettext(N_("Something went wrong on our side. Please try again later."))
    if _wants_json(request):
        return problem(500, "internal_error", detail)
    return _error_page(request, 500, detail)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    localtime.configure(settings.time_zone)
    ratelimit.configure(settings.redis_url, prefix=settings.redis_key_prefix)
    import_models()
    database = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The message catalogs are parsed before the first request, not during it (seconds
        # of a check-in's time on a busy machine otherwise)
        for locale in i18n.LOCALES:
            i18n.translations(locale)
        # With SQLite there is no separate worker: run the scheduled jobs in this process.
        scheduler = None
        outbox = None
        if settings.run_jobs_in_process and settings.environment != "test":
            scheduler = Scheduler(database, settings)
            scheduler.start_thread()
        if settings.environment != "test":
            outbox = alert_worker.start_in_process(database, settings)
        yield
        if scheduler is not None:
            scheduler.stop()
        if outbox is not None:
            outbox.stop_and_wait()

    app = FastAPI(
        lifespan=lifespan,
        title="epitrace",
        version=__version__,
        description="Health declarations, QR check-in, contact tracing, exposure notification "
        "and rollout reporting for an epidemic response.",
        # /docs is our own page (epitrace.web.pages): Swagger UI from the package, under the CSP
        docs_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    openapi.install(app)
    app.state.settings = settings
    app.state.db = database
    app.state.keyring = Keyring(settings.keys_dir)
    app.state.sms = (
        get_channel(settings.sms_backend, settings.sms_outbox)
        if settings.sms_backend in ("file", "console")
        else alert_worker.DirectSms(database, settings)
    )

    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)

    # Outermost last: proxy headers → request context (language, audit origin) → session.
    app.add_middleware(SessionMiddleware, database=database, settings=settings)
    app.add_middleware(RequestContextMiddleware)
    # The same rule as `epitrace serve` gives uvicorn, so that any ASGI server in front
    # resolves the client address alike; applying it twice gives the same address.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)

    static_dir = i18n.PACKAGE_DIR / "web" / "static"
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    for module in domain_modules("api") + domain_modules("pages"):
        app.include_router(module.router)
    return app
