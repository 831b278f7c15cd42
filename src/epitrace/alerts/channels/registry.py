"""The adapters of a process, built from `Settings`; transports are loaded by module path.

| channel | setting | adapter |
|---|---|---|
| sms | `sms_backend=file` / `console` | `devlog.DevLogAdapter` (development) |
| sms | `sms_backend=smpp` | `epitrace.alerts.channels.smpp.SmppAdapter(settings, sink)` |
| sms | `sms_backend=http` | `http.HttpSmsAdapter` |
| ott | `ott_url` | `http.OttAdapter` (development without it: the dev log) |
| push | — | `epitrace.alerts.channels.webpush.WebPushAdapter(settings, sink)` |
| email | `smtp_host` | `email.SmtpAdapter` (development without it: the dev log) |

A channel without a usable adapter is left out: its rows wait (and expire) until a worker
that has one runs.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any

from epitrace.alerts.channels import Adapter, Sink
from epitrace.alerts.channels.devlog import DevLogAdapter
from epitrace.alerts.channels.email import SmtpAdapter
from epitrace.alerts.channels.http import HttpSmsAdapter, OttAdapter
from epitrace.alerts.models import Channel
from epitrace.config import Settings

log = logging.getLogger("epitrace.alerts.channels")

SMPP = ("epitrace.alerts.channels.smpp", "SmppAdapter")
WEBPUSH = ("epitrace.alerts.channels.webpush", "WebPushAdapter")
DEV_BACKENDS = ("file", "console")


def load(path: tuple[str, str], settings: Settings, sink: Sink) -> Adapter:
    """An adapter class named by module and class, built with (settings, sink)."""
    module = importlib.import_module(path[0])
    factory: Any = getattr(module, path[1])
    adapter: Adapter = factory(settings, sink)
    return adapter


def _dev(settings: Settings, channel: Channel, rate: float) -> Adapter:
    path = settings.sms_outbox if settings.sms_backend == "file" else None
    return DevLogAdapter(channel, path, rate_per_second=rate)


def build(
    settings: Settings, sink: Sink, channels: Iterable[Channel] | None = None
) -> dict[Channel, Adapter]:
    """The adapters for `channels` (default: every channel that can be served)."""
    wanted = set(channels) if channels is not None else set(Channel) - {Channel.INBOX}
    dev = settings.sms_backend in DEV_BACKENDS
    adapters: dict[Channel, Adapter] = {}
    if Channel.SMS in wanted:
        if dev:
            adapters[Channel.SMS] = _dev(settings, Channel.SMS, settings.sms_rate_per_second)
        elif settings.sms_backend == "http":
            adapters[Channel.SMS] = HttpSmsAdapter(settings)
        else:
            adapters[Channel.SMS] = load(SMPP, settings, sink)
    if Channel.OTT in wanted:
        if settings.ott_url:
            adapters[Channel.OTT] = OttAdapter(settings)
        elif dev:
            adapters[Channel.OTT] = _dev(settings, Channel.OTT, settings.ott_rate_per_second)
    if Channel.EMAIL in wanted:
        if settings.smtp_host:
            adapters[Channel.EMAIL] = SmtpAdapter(settings)
        elif dev:
            adapters[Channel.EMAIL] = _dev(settings, Channel.EMAIL, settings.email_rate_per_second)
    if Channel.PUSH in wanted:
        try:
            adapters[Channel.PUSH] = load(WEBPUSH, settings, sink)
        except ModuleNotFoundError as exc:
            if exc.name != WEBPUSH[0]:
                raise
            if dev:
                adapters[Channel.PUSH] = _dev(settings, Channel.PUSH, settings.push_rate_per_second)
            else:
                log.warning("web push is not installed: push messages wait for a worker with it")
    missing = wanted - set(adapters)
    if missing:
        log.info("no adapter for %s", ", ".join(sorted(c.value for c in missing)))
    return adapters
