"""Channel adapters: one interface, one module per transport, chosen by configuration.

A worker (`alerts.dispatch`) claims due outbox rows, renders each for its recipient and hands
an `Outgoing` to the adapter of the row's channel:

- `send` returns `Accepted` when the channel took the message (with the channel's own
  reference, segments and cost), or raises `Retry` (temporary: throttled, timeout, dropped
  connection, HTTP 5xx; the row goes back to `queued` with backoff, and `pause_seconds`
  pauses the whole channel for every worker) or `Refused` (permanent: invalid number,
  unknown template, HTTP 4xx; the row goes to dead letter with the reason).
- `accepts_idempotency_key`: the channel de-duplicates on `Outgoing.key` (HTTP gateways, the
  push service's topic), so a row whose worker died mid-send may be sent again. Where it does
  not (SMPP), such a row ends in dead letter as "outcome unknown" instead: never twice.
- Receipts that arrive later (SMPP deliver_sm, gateway callbacks) and replies from phones
  (STOP) go to the `Sink` the adapter was built with.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from epitrace.alerts.models import Channel


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient, as the adapter sends it."""

    key: uuid.UUID  # the outbox row's public key: the idempotency key sent to gateways
    channel: Channel
    template: str
    kind: str
    locale: str
    title: str
    body: str  # push and e-mail text
    sms: str  # SMS / OTT text
    url: str | None = None  # absolute link to open
    phone: str | None = None
    email: str | None = None
    user_id: uuid.UUID | None = None
    params: dict[str, str] = field(default_factory=dict)  # OTT template parameters
    urgent: bool = False


@dataclass(frozen=True)
class Accepted:
    provider_ref: str | None = None  # the channel's id (SMSC message id), matched by receipts
    segments: int | None = None
    cost: int | None = None  # đồng
    delivered: bool = False  # the channel already confirms delivery (no receipt will follow)


class ChannelError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:300]


class Retry(ChannelError):
    """Temporary: try again later."""

    def __init__(
        self, reason: str, *, after_seconds: float | None = None, pause_seconds: float = 0.0
    ) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds
        self.pause_seconds = pause_seconds


class Refused(ChannelError):
    """Permanent: this message can never be sent this way."""


class Sink(Protocol):
    """Where an adapter reports what arrives later, outside any `send` call."""

    def receipt(self, channel: Channel, provider_ref: str, *, delivered: bool, reason: str) -> None:
        """A delivery receipt: `delivered` or failed with `reason`."""

    def inbound(self, channel: Channel, phone: str, text: str) -> None:
        """A message from a phone (MO): STOP / START replies."""


class Adapter(Protocol):
    channel: Channel
    rate_per_second: float  # shared by all workers through channel_state
    accepts_idempotency_key: bool

    def send(self, message: Outgoing) -> Accepted: ...

    def close(self) -> None: ...
