"""An in-memory channel for tests and benchmarks: counts what it receives per key.

`script` answers in turn (an `Accepted`, or a `Retry`/`Refused` to raise); after it runs
out every message is accepted. With `accepts_idempotency_key` a second send of a key is
accepted again but not delivered twice, as an HTTP gateway does.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable

from epitrace.alerts.channels import Accepted, ChannelError, Outgoing
from epitrace.alerts.models import Channel

Outcome = Accepted | ChannelError


class FakeAdapter:
    def __init__(
        self,
        channel: Channel = Channel.SMS,
        *,
        rate_per_second: float = 1000.0,
        accepts_idempotency_key: bool = True,
        script: Iterable[Outcome] = (),
        delivered: bool = False,
        latency_seconds: float = 0.0,
    ) -> None:
        self.channel = channel
        self.rate_per_second = rate_per_second
        self.accepts_idempotency_key = accepts_idempotency_key
        self.script = list(script)
        self.delivered = delivered
        self.latency_seconds = latency_seconds
        self.requests: Counter[uuid.UUID] = Counter()  # every send call, per key
        self.deliveries: Counter[uuid.UUID] = Counter()  # what reached a phone, per key
        self.sent: list[Outgoing] = []
        self.send_times: list[float] = []
        self.closed = False
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> Accepted:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        with self._lock:
            self.requests[message.key] += 1
            self.send_times.append(time.monotonic())
            outcome: Outcome = (
                self.script.pop(0) if self.script else Accepted(delivered=self.delivered)
            )
            if isinstance(outcome, ChannelError):
                raise outcome
            if not (self.accepts_idempotency_key and self.deliveries[message.key]):
                self.deliveries[message.key] += 1
                self.sent.append(message)
            ref = outcome.provider_ref or f"fake-{message.key.hex[:12]}"
            return Accepted(
                provider_ref=ref,
                segments=outcome.segments,
                cost=outcome.cost,
                delivered=outcome.delivered,
            )

    def close(self) -> None:
        self.closed = True
