"""The SMS channel interface; the development backend writes messages to a file or console.

A real gateway implements `SmsChannel.send` and is chosen with `EPITRACE_SMS_BACKEND`.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class SmsChannel(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class FileSmsChannel:
    """Appends one JSON line per message, so developers and tests can read the codes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": datetime.now(UTC).isoformat(), "to": phone, "text": text}, ensure_ascii=False
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def messages(self, phone: str | None = None) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        rows = [json.loads(x) for x in self.path.read_text(encoding="utf-8").splitlines() if x]
        return [r for r in rows if phone is None or r["to"] == phone]


class ConsoleSmsChannel:
    def send(self, phone: str, text: str) -> None:
        print(f"[SMS to {phone}] {text}", file=sys.stderr)


def get_channel(backend: str, outbox: Path) -> SmsChannel:
    if backend == "console":
        return ConsoleSmsChannel()
    if backend == "file":
        return FileSmsChannel(outbox)
    raise ValueError(f"unknown SMS backend {backend!r}")
