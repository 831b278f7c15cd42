"""Permission-matrix entries of the alerts routes: the inbox (every account, its own notices),
this browser's push subscription, campaigns and the delivery dashboard (`campaign_matrix`).
`GET /api/v1/push/key` and `POST /api/v1/push/ack/{key}` are public (the key is public; the
acknowledgement's random key is its credential)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.alerts import service as alert_service
from epitrace.alerts.models import OutboxMessage
from epitrace.alerts.service import Recipient
from epitrace.security.roles import Action
from tests.alerts import campaign_matrix
from tests.alerts.pushservice import Browser
from tests.matrix_support import RouteCase, Users

_BROWSER = Browser()
_SUBSCRIPTION = {
    "endpoint": "https://push.example.vn/matrix",
    "keys": {"p256dh": _BROWSER.p256dh, "auth": _BROWSER.auth},
}


def setup(session: Session, users: Users) -> dict[str, str]:
    """One notice for every account of the matrix, under one shared key, so that each caller
    opens its own notice at the same URL (keys are random, not unique by constraint)."""
    shared = uuid.uuid4()
    accounts = [*users.ids.values(), users.citizen_user_id]
    dedup = f"matrix:{shared}"
    alert_service.enqueue(
        session,
        recipients=[Recipient.user(a) for a in accounts if a is not None],
        template="test",
        dedup_key=dedup,
        channels=["inbox"],
    )
    session.query(OutboxMessage).filter(OutboxMessage.group_key == dedup).update({"key": shared})
    return {"notice": str(shared)}


CASES = [
    RouteCase("GET", "/api/v1/inbox", Action.INBOX, inside="/api/v1/inbox"),
    RouteCase("GET", "/api/v1/inbox/unread", Action.INBOX, inside="/api/v1/inbox/unread"),
    RouteCase("POST", "/api/v1/inbox/read-all", Action.INBOX, inside="/api/v1/inbox/read-all"),
    RouteCase(
        "POST", "/api/v1/inbox/{key}/read", Action.INBOX, inside="/api/v1/inbox/{notice}/read"
    ),
    RouteCase("GET", "/api/v1/inbox/settings", Action.INBOX, inside="/api/v1/inbox/settings"),
    RouteCase(
        "PUT",
        "/api/v1/inbox/settings",
        Action.INBOX,
        inside="/api/v1/inbox/settings",
        body={"sms_enabled": True, "push_enabled": True},
    ),
    RouteCase("GET", "/inbox", Action.INBOX, inside="/inbox"),
    RouteCase("POST", "/inbox/read-all", Action.INBOX, inside="/inbox/read-all"),
    RouteCase("GET", "/inbox/settings", Action.INBOX, inside="/inbox/settings"),
    RouteCase(
        "POST",
        "/inbox/settings",
        Action.INBOX,
        inside="/inbox/settings",
        form={"sms_enabled": "yes", "reminder_start": "08:00", "reminder_end": "10:00"},
    ),
    RouteCase("GET", "/inbox/{key}", Action.INBOX, inside="/inbox/{notice}"),
    RouteCase(
        "POST",
        "/api/v1/push/subscriptions",
        Action.INBOX,
        inside="/api/v1/push/subscriptions",
        body=_SUBSCRIPTION,
    ),
    RouteCase(
        "DELETE",
        "/api/v1/push/subscriptions",
        Action.INBOX,
        inside="/api/v1/push/subscriptions",
        body={"endpoint": _SUBSCRIPTION["endpoint"]},
    ),
]

CASES += campaign_matrix.CASES
