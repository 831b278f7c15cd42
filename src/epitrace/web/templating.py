"""Jinja2 environment shared by every domain's pages, with gettext and common helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from epitrace import localtime
from epitrace.places import service as place_service
from epitrace.web import i18n


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Show a UTC datetime on the local wall clock (dd/mm/yyyy 24 h), the way people read it."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return localtime.to_local(value).strftime(fmt)


def day(value: date | str | None) -> str:
    """A calendar day as people write it here (dd/mm/yyyy), from a date or an ISO string."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")


def number(value: int | float | None) -> str:
    """`12.345` and `87,5` in Vietnamese (dot for thousands, comma for decimals)."""
    if value is None:
        return ""
    text = f"{value:,.0f}" if isinstance(value, int) else f"{value:,.1f}"
    if i18n.get_locale() == "vi":
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(value: float | None) -> str:
    """A share in per cent with one decimal (`87,5%`); a dash when there is nothing to share."""
    if value is None:
        return "—"
    return number(float(value)) + "%"


@lru_cache(maxsize=1)
def environment() -> Environment:
    dirs = sorted(str(p) for p in i18n.PACKAGE_DIR.glob("*/templates"))
    env = Environment(
        loader=FileSystemLoader(dirs),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.get_locale()).ugettext(message),
        lambda s, p, n: i18n.translations(i18n.get_locale()).ungettext(s, p, n),
        newstyle=True,
    )
    env.filters["local_time"] = local_time
    env.filters["number"] = number
    env.filters["day"] = day
    env.filters["percent"] = percent
    env.globals["locale_names"] = i18n.LOCALE_NAMES
    env.globals["unit_label"] = unit_label
    env.globals["unit_name"] = unit_name
    return env


@pass_context
def unit_label(context: Context, code: str | None) -> str:
    """A unit's name with its parents for a code (what was typed, if it is not a code)."""
    request = context.get("request")
    session = getattr(getattr(request, "state", None), "db", None)
    if not code or session is None:
        return code or ""
    return place_service.label_of(session, code)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the request, principal, CSRF token and language in its context."""
    settings = getattr(request.app.state, "settings", None)
    ctx: dict[str, Any] = {
        # on-device mode: every page may warn of a hotspot the phone's visits match
        "on_device_mode": getattr(settings, "privacy_mode", "central") == "on-device",
        # escrow mode: a case is traced by an opening two officials approve, not by a button
        "escrow_mode": getattr(settings, "privacy_mode", "central") == "escrow",
        "retention_days": getattr(settings, "retention_days", 21),
        "roster_retention_days": getattr(settings, "roster_retention_days", 365),
        "time_zone": getattr(settings, "time_zone", "Asia/Ho_Chi_Minh"),
        "request": request,
        "principal": getattr(request.state, "principal", None),
        "csrf_token": request.session.get("csrf", "") if "session" in request.scope else "",
        "locale": i18n.get_locale(),
        "now": datetime.now(UTC),
    }
    ctx.update(context or {})
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)


@pass_context
def unit_name(context: Context, code: str | None) -> str:
    """A unit's own name for a code, as tables show it (the code if it is unknown)."""
    request = context.get("request")
    session = getattr(getattr(request, "state", None), "db", None)
    if not code or session is None:
        return code or ""
    return place_service.name_of(session, code)
