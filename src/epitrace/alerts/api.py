"""JSON routes of the inbox: notices, unread count, reading, contact settings, and the web-push
subscriptions and acknowledgements of the account's browsers."""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated, Literal

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from epitrace.alerts import access, receipts, vapid
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel, OutboxMessage
from epitrace.alerts.schemas import (
    GatewayReportIn,
    GatewayReportOut,
    InboxOut,
    MarkedOut,
    NoticeOut,
    PushKeyOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    PushUnsubscribeIn,
    SettingsIn,
    SettingsOut,
    UnreadOut,
)
from epitrace.config import Settings
from epitrace.errors import N_, InvalidInput, NotFound, Unauthorized
from epitrace.security.permissions import public
from epitrace.web import i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, bearer
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["alerts"])

PAGE = 50


def notice_out(row: OutboxMessage, settings: Settings, session: Session) -> NoticeOut:
    view = alert_service.view(
        row,
        locale_code=i18n.get_locale(),
        base_url=settings.base_url,
        brand=settings.alerts_brand,
        session=session,
    )
    return NoticeOut(
        key=view.key,
        kind=view.kind,
        title=view.title,
        body=view.body,
        link=view.link,
        created_at=view.created_at,
        read=view.read,
        urgent=view.urgent,
    )


@router.get("/inbox", response_model=InboxOut)
def get_inbox(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE,
) -> InboxOut:
    """The caller's notices, newest first, in the caller's language, with the unread count."""
    user = access.inbox_owner(principal)
    rows = alert_service.inbox(session, user_id=user.user_id, limit=limit, before=before)
    return InboxOut(
        unread=alert_service.unread_count(session, user_id=user.user_id),
        items=[notice_out(r, settings, session) for r in rows],
        next_before=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/inbox/unread", response_model=UnreadOut)
def get_unread(session: DbSession, principal: CurrentPrincipal) -> UnreadOut:
    """How many notices the caller has not read (the badge beside the menu)."""
    user = access.inbox_owner(principal)
    return UnreadOut(unread=alert_service.unread_count(session, user_id=user.user_id))


@router.post("/inbox/read-all", response_model=MarkedOut)
def read_all(session: DbSession, principal: CurrentPrincipal) -> MarkedOut:
    """Mark every notice of the caller as read."""
    user = access.inbox_owner(principal)
    return MarkedOut(marked=alert_service.mark_all_read(session, user_id=user.user_id))


@router.post("/inbox/{key}/read", response_model=NoticeOut)
def read_one(
    key: uuid.UUID, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> NoticeOut:
    """Mark one of the caller's notices as read (a pending SMS fallback is then not sent)."""
    user = access.inbox_owner(principal)
    row = alert_service.mark_read(session, user_id=user.user_id, key=key)
    return notice_out(row, settings, session)


def _settings_out(session: DbSession, user_id: uuid.UUID) -> SettingsOut:
    setting = alert_service.get_setting(session, user_id=user_id)
    return SettingsOut(
        sms_enabled=setting.sms_enabled,
        push_enabled=setting.push_enabled,
        reminder_start=setting.reminder_start,
        reminder_end=setting.reminder_end,
        email=setting.email,
    )


@router.get("/inbox/settings", response_model=SettingsOut)
def get_settings(session: DbSession, principal: CurrentPrincipal) -> SettingsOut:
    """The caller's choices: SMS and push on or off, reminder window, staff e-mail."""
    user = access.inbox_owner(principal)
    return _settings_out(session, user.user_id)


@router.put("/inbox/settings", response_model=SettingsOut)
def put_settings(body: SettingsIn, session: DbSession, principal: CurrentPrincipal) -> SettingsOut:
    """Change the caller's choices; turning SMS off opts the account's number out."""
    user = access.inbox_owner(principal)
    alert_service.update_setting(
        session,
        user_id=user.user_id,
        sms_enabled=body.sms_enabled,
        push_enabled=body.push_enabled,
        reminder_start=body.reminder_start,
        reminder_end=body.reminder_end,
        email=body.email,
    )
    return _settings_out(session, user.user_id)


# -- web push -----------------------------------------------------------------------------------


@router.get("/push/key", response_model=PushKeyOut)
@public
def push_key(settings: AppSettings) -> PushKeyOut:
    """The public key browsers subscribe with (made on first use; public by nature)."""
    return PushKeyOut(public_key=vapid.public_key(settings.keys_dir))


@router.post("/push/subscriptions", response_model=PushSubscriptionOut, status_code=201)
def push_subscribe(
    body: PushSubscriptionIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> PushSubscriptionOut:
    """Receive notifications in this browser: store its subscription for the caller's account."""
    user = access.inbox_owner(principal)
    alert_service.check_push_subscription(
        endpoint=body.endpoint, p256dh=body.keys.p256dh, auth=body.keys.auth
    )
    row = alert_service.subscribe_push(
        session,
        user_id=user.user_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        user_agent=request.headers.get("user-agent", ""),
    )
    return PushSubscriptionOut(endpoint=row.endpoint, created_at=row.created_at)


@router.delete("/push/subscriptions", status_code=204)
def push_unsubscribe(
    body: PushUnsubscribeIn, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Stop notifications in this browser (its endpoint, as the browser gave it)."""
    user = access.inbox_owner(principal)
    alert_service.unsubscribe_push(session, user_id=user.user_id, endpoint=body.endpoint)
    return Response(status_code=204)


@router.post("/push/ack/{key}", status_code=204)
@public
def push_ack(key: uuid.UUID, session: DbSession) -> Response:
    """The service worker showed or opened the notice: no SMS fallback is needed.

    Public on purpose: the random key reached only the recipient's device, and the service
    worker may run after the browser's session has ended.
    """
    if not alert_service.acknowledge(session, key=key):
        raise NotFound(N_("This notice does not exist."))
    return Response(status_code=204)


# The campaign and dashboard routes are registered on this router.
from epitrace.alerts import campaign_api  # noqa: E402, F401


@router.post("/alerts/receipts/{channel}", response_model=GatewayReportOut)
@public
def gateway_report(
    channel: Literal["sms", "ott"],
    body: GatewayReportIn,
    request: Request,
    session: DbSession,
    settings: AppSettings,
) -> GatewayReportOut:
    """A gateway's delivery receipt or a phone's reply (STOP), authenticated by its token."""
    expected = settings.http_gateway_token if channel == "sms" else settings.ott_token
    if not expected:
        raise NotFound(N_("This channel takes no reports."))
    given = bearer(request) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized(N_("The gateway token is wrong."))
    if body.id is not None and body.status is not None:
        known = receipts.record_receipt(
            session,
            channel=Channel(channel),
            provider_ref=body.id,
            delivered=body.status == "delivered",
            reason=body.reason,
        )
        if not known:
            # the send may not be recorded yet: an error makes the gateway try again later
            raise NotFound(N_("No message was sent under this reference."))
        return GatewayReportOut(kind="receipt")
    if body.sender is not None and body.text is not None:
        action = receipts.record_inbound(session, phone=body.sender, text=body.text)
        return GatewayReportOut(kind="inbound", action=action)
    raise InvalidInput(N_("A report needs either an id and a status, or a sender and a text."))
