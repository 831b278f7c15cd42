"""HTML pages of the inbox: the notices with their unread marks, one notice, the settings."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.alerts import access
from epitrace.alerts import service as alert_service
from epitrace.errors import N_, DomainError, InvalidInput
from epitrace.web import i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, flash
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

KIND_LABELS = {
    "contact_alert": N_("Contact alert"),
    "venue_alert": N_("Place alert"),
    "reminder": N_("Reminder"),
    "campaign": N_("Announcement"),
    "quarantine": N_("Quarantine"),
    "feedback": N_("Feedback"),
    "notice": N_("Notice"),
    "test": N_("Test message"),
}


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> HTMLResponse:
    user = access.inbox_owner(principal)
    rows = alert_service.inbox(session, user_id=user.user_id, limit=100)
    views = [
        alert_service.view(
            r,
            locale_code=i18n.get_locale(),
            base_url=settings.base_url,
            brand=settings.alerts_brand,
            session=session,
        )
        for r in rows
    ]
    return render(
        request,
        "alerts/inbox.html",
        {
            "notices": views,
            "unread": alert_service.unread_count(session, user_id=user.user_id),
            "kinds": {k: i18n.gettext(v) for k, v in KIND_LABELS.items()},
        },
    )


@router.post("/inbox/read-all")
def inbox_read_all(session: DbSession, principal: CurrentPrincipal) -> RedirectResponse:
    user = access.inbox_owner(principal)
    alert_service.mark_all_read(session, user_id=user.user_id)
    return RedirectResponse("/inbox", status_code=303)


def _settings_page(
    request: Request,
    values: dict[str, object],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "alerts/settings.html",
        {"v": values, "errors": errors},
        status_code=status_code,
    )


@router.get("/inbox/settings", response_class=HTMLResponse)
def settings_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = access.inbox_owner(principal)
    setting = alert_service.get_setting(session, user_id=user.user_id)
    values: dict[str, object] = {
        "sms_enabled": setting.sms_enabled,
        "push_enabled": setting.push_enabled,
        "reminder_start": setting.reminder_start.strftime("%H:%M"),
        "reminder_end": setting.reminder_end.strftime("%H:%M"),
        "email": setting.email or "",
        "is_staff": not user.is_citizen,
    }
    return _settings_page(request, values, {})


def _parse_clock(value: str, field: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            N_("Enter a time such as 08:00."), fields={field: N_("Enter a time such as 08:00.")}
        ) from None


@router.post("/inbox/settings", response_class=HTMLResponse)
def settings_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    sms_enabled: Annotated[str, Form(max_length=5)] = "",
    push_enabled: Annotated[str, Form(max_length=5)] = "",
    reminder_start: Annotated[str, Form(max_length=8)] = "08:00",
    reminder_end: Annotated[str, Form(max_length=8)] = "10:00",
    email: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    user = access.inbox_owner(principal)
    values: dict[str, object] = {
        "sms_enabled": sms_enabled == "yes",
        "push_enabled": push_enabled == "yes",
        "reminder_start": reminder_start,
        "reminder_end": reminder_end,
        "email": email,
        "is_staff": not user.is_citizen,
    }
    try:
        if email and ("@" not in email or " " in email.strip()):
            raise InvalidInput(
                N_("Enter a valid e-mail address."),
                fields={"email": N_("Enter a valid e-mail address.")},
            )
        alert_service.update_setting(
            session,
            user_id=user.user_id,
            sms_enabled=sms_enabled == "yes",
            push_enabled=push_enabled == "yes",
            reminder_start=_parse_clock(reminder_start, "reminder_start"),
            reminder_end=_parse_clock(reminder_end, "reminder_end"),
            email=email if not user.is_citizen else None,
        )
    except DomainError as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        return _settings_page(request, values, errors, status_code=422)
    flash(request, i18n.gettext("Your choices were saved."))
    return RedirectResponse("/inbox/settings", status_code=303)


@router.get("/inbox/{key}", response_class=HTMLResponse)
def notice_page(
    key: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> HTMLResponse:
    """One notice; opening it marks it read."""
    user = access.inbox_owner(principal)
    row = alert_service.mark_read(session, user_id=user.user_id, key=key)
    view = alert_service.view(
        row,
        locale_code=i18n.get_locale(),
        base_url=settings.base_url,
        brand=settings.alerts_brand,
        session=session,
    )
    return render(
        request,
        "alerts/notice.html",
        {"notice": view, "kinds": {k: i18n.gettext(v) for k, v in KIND_LABELS.items()}},
    )


# The campaign and dashboard pages are registered on this router.
from epitrace.alerts import campaign_pages  # noqa: E402, F401
