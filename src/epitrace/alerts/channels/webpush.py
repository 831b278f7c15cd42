"""Web push (RFC 8030/8291/8292) to every browser an account subscribed, through pywebpush.

Each push carries `{title, body, url, key}` encrypted for the subscription (aes128gcm),
signed with the deployment's VAPID key (`alerts.vapid`). Headers: `TTL` (how long the push
service keeps it for a phone that is off), `Urgency` (high for urgent messages) and `Topic`
(the outbox key: a second copy of the same message replaces the first while it waits at the
push service). The service worker shows it with the key as its tag — a copy replaces the
notification already shown — and acknowledges it (`POST /api/v1/push/ack/{key}`), which
stops the SMS fallback. Sending the same row twice is therefore harmless:
`accepts_idempotency_key` is True.

Answers per subscription: 201/202 accepted; 404/410 the browser unsubscribed (the
subscription is deleted); 429/5xx or no answer: try again later; other 4xx: refused for this
subscription. The message is Accepted when one subscription took it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy.exc import SQLAlchemyError

from epitrace.alerts import service as alert_service
from epitrace.alerts import vapid
from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry, Sink
from epitrace.alerts.models import Channel
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.errors import ServiceBusy

logger = logging.getLogger(__name__)

TTL_SECONDS = 24 * 3600  # a phone switched off for a day still gets it when it comes back
TIMEOUT_SECONDS = 10.0
GONE = frozenset({404, 410})
NO_SUBSCRIPTION = "no push subscription"


@dataclass(frozen=True)
class _Subscription:
    user_id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class WebPushAdapter:
    """The push channel: one request per subscription of the recipient's account."""

    channel = Channel.PUSH
    accepts_idempotency_key = True

    def __init__(self, settings: Settings, sink: Sink) -> None:
        self.settings = settings
        self.sink = sink  # pushes have no receipts: the service worker acknowledges instead
        self.rate_per_second = settings.push_rate_per_second
        self._database: Database | None = None
        self._http = requests.Session()
        self._lock = threading.Lock()
        self._signer: tuple[tuple[int, int], Vapid] | None = None

    # -- collaborators, made on first use ---------------------------------------------------

    def _db(self) -> Database:
        with self._lock:
            if self._database is None:
                self._database = Database(self.settings.database_url)
            return self._database

    def _vapid(self) -> Vapid:
        """The signer; a rotated key file (a new inode) is picked up at the next push."""
        path: Path = vapid.key_path(self.settings.keys_dir)
        if not path.exists():
            vapid.load(self.settings.keys_dir)  # made on first use
        info = path.stat()
        stamp = (info.st_ino, info.st_mtime_ns)
        with self._lock:
            if self._signer is None or self._signer[0] != stamp:
                self._signer = (stamp, Vapid(private_key=vapid.load(self.settings.keys_dir)))
            return self._signer[1]

    def _subscriptions(self, user_id: uuid.UUID) -> list[_Subscription]:
        try:
            with self._db().sessionmaker() as session:
                return [
                    _Subscription(row.user_id, row.endpoint, row.p256dh, row.auth)
                    for row in alert_service.push_subscriptions(session, user_id=user_id)
                ]
        except SQLAlchemyError as exc:
            raise Retry(f"push subscriptions unreadable: {type(exc).__name__}") from exc

    def _forget(self, gone: list[_Subscription]) -> None:
        """Delete the subscriptions the push service no longer knows, in a short transaction
        of its own; if the database is busy, the next push that finds them gone tries again."""
        if not gone:
            return
        try:
            with self._db().session_scope() as session:
                for sub in gone:
                    alert_service.unsubscribe_push(
                        session, user_id=sub.user_id, endpoint=sub.endpoint
                    )
        except (SQLAlchemyError, ServiceBusy) as exc:
            logger.warning("gone push subscriptions not deleted yet: %s", exc)

    # -- sending ----------------------------------------------------------------------------

    def payload(self, message: Outgoing) -> str:
        return json.dumps(
            {
                "title": message.title,
                "body": message.body,
                "url": message.url or f"{self.settings.base_url}/inbox/{message.key}",
                "key": str(message.key),
            },
            ensure_ascii=False,
        )

    def send(self, message: Outgoing) -> Accepted:
        if message.user_id is None:
            raise Refused(NO_SUBSCRIPTION)
        subscriptions = self._subscriptions(message.user_id)
        if not subscriptions:
            raise Refused(NO_SUBSCRIPTION)
        data = self.payload(message)
        signer = self._vapid()
        headers = {"Topic": message.key.hex, "Urgency": "high" if message.urgent else "normal"}
        accepted = 0
        gone: list[_Subscription] = []
        temporary: list[str] = []
        permanent: list[str] = []
        wait: float | None = None
        for sub in subscriptions:
            try:
                webpush(
                    {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                    data=data,
                    vapid_private_key=signer,
                    vapid_claims={"sub": self.settings.vapid_subject},
                    content_encoding="aes128gcm",
                    ttl=TTL_SECONDS,
                    headers=dict(headers),
                    timeout=TIMEOUT_SECONDS,
                    requests_session=self._http,
                )
                accepted += 1
            except WebPushException as exc:
                status = exc.status_code
                if status in GONE:
                    gone.append(sub)
                elif status is None or status == 429 or status >= 500:
                    temporary.append(f"push service answered {status}")
                    after = _retry_after(exc.retry_after)
                    if after is not None:
                        wait = max(wait or 0.0, after)
                else:
                    permanent.append(f"push service answered {status}")
            except requests.RequestException as exc:
                temporary.append(f"push service unreachable: {type(exc).__name__}")
            except ValueError as exc:  # keys the browser sent that cannot encrypt anything
                permanent.append(f"unusable subscription: {exc}")
        self._forget(gone)
        if accepted:
            return Accepted()
        if temporary:
            raise Retry("; ".join(temporary), after_seconds=wait)
        if len(gone) == len(subscriptions):
            raise Refused(NO_SUBSCRIPTION)
        raise Refused("; ".join(permanent))

    def close(self) -> None:
        self._http.close()
        with self._lock:
            if self._database is not None:
                self._database.dispose()
                self._database = None
