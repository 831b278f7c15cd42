"""Running outbox workers: built from settings, in `epitrace worker` or in the web process.

On PostgreSQL run `epitrace worker` (as many as needed; they share the rate of each
channel through `channel_state`). On SQLite the web process drains the outbox in a thread
(`EPITRACE_ALERTS_INPROCESS`, on by default there), one writer at a time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from epitrace.alerts.channels import Accepted, Adapter, Outgoing, Refused, Retry, registry
from epitrace.alerts.dispatch import Dispatcher
from epitrace.alerts.models import Channel
from epitrace.alerts.receipts import OutboxSink
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.errors import N_, ServiceBusy

log = logging.getLogger("epitrace.alerts.worker")


def build(
    db: Database,
    settings: Settings,
    *,
    channels: Iterable[Channel] | None = None,
    name: str | None = None,
) -> Dispatcher:
    """A worker with the configured adapters (and their receipts sink)."""
    sink = OutboxSink(db)
    adapters = registry.build(settings, sink, channels)
    return Dispatcher(db, settings, adapters, name=name, early_receipts=sink)


def in_process_enabled(settings: Settings) -> bool:
    if settings.alerts_inprocess is not None:
        return settings.alerts_inprocess
    return settings.is_sqlite


def start_in_process(db: Database, settings: Settings) -> Dispatcher | None:
    """The web process's own worker thread, when enabled (SQLite by default)."""
    if not in_process_enabled(settings):
        return None
    dispatcher = build(db, settings, name=f"web:{uuid.uuid4().hex[:8]}")
    dispatcher.start_thread()
    return dispatcher


class DirectSms:
    """Sign-in codes sent at once through the configured SMS adapter (not the outbox), for
    the `smpp` and `http` backends; the adapter is built at the first code."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._adapter: Adapter | None = None

    def send(self, phone: str, text: str) -> None:
        if self._adapter is None:
            sink = OutboxSink(self.db)
            self._adapter = registry.build(self.settings, sink, [Channel.SMS])[Channel.SMS]
        message = Outgoing(
            key=uuid.uuid4(),
            channel=Channel.SMS,
            template="otp",
            kind="otp",
            locale="vi",
            title="",
            body=text,
            sms=text,
            phone=phone,
            urgent=True,
        )
        try:
            accepted: Accepted = self._adapter.send(message)
        except (Retry, Refused) as exc:
            log.warning("sign-in code to …%s not sent: %s", phone[-3:], exc.reason)
            raise ServiceBusy(
                N_("The text message could not be sent. Please try again in a minute."),
                retry_after=60,
            ) from None
        log.info("sign-in code sent (%s)", accepted.provider_ref)
