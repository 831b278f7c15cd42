"""Development channels: every message appended as one JSON line to a file, or printed.

The line has the fields of the sign-in codes' file backend (`at`, `to`, `text`), so one
`var/sms-outbox.log` shows both; `channel`, `key` and `title` are added. Accepted at once
and counted as delivered (nothing else will confirm it).
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from epitrace.alerts import sms_text
from epitrace.alerts.channels import Accepted, Outgoing
from epitrace.alerts.models import Channel


class DevLogAdapter:
    """Writes messages to `path` (JSON lines), or to standard error when `path` is None."""

    accepts_idempotency_key = False

    def __init__(self, channel: Channel, path: Path | None, *, rate_per_second: float) -> None:
        self.channel = channel
        self.path = Path(path) if path is not None else None
        self.rate_per_second = rate_per_second
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> Accepted:
        text = message.sms if message.channel in (Channel.SMS, Channel.OTT) else message.body
        to = message.phone or message.email or (str(message.user_id) if message.user_id else "")
        segments = sms_text.prepare(text).segments if message.channel is Channel.SMS else None
        line = {
            "at": datetime.now(UTC).isoformat(),
            "to": to,
            "text": text,
            "channel": message.channel.value,
            "key": str(message.key),
            "title": message.title,
            "url": message.url,
        }
        if self.path is None:
            print(f"[{message.channel.value} to {to}] {text}", file=sys.stderr)
        else:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return Accepted(
            provider_ref=f"dev-{message.key.hex[:16]}", segments=segments, delivered=True
        )

    def close(self) -> None:
        return None
