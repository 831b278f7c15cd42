"""HTTP channels: an SMS gateway and an OTT provider's template messages (Zalo-style).

Both POST JSON with a bearer token and `Idempotency-Key: <outbox key>`, so a message whose
worker died mid-send is sent again safely (the gateway drops the copy). Answers:
2xx → accepted (`id` in the JSON body is the reference receipts name); timeout, dropped
connection, 5xx → `Retry`; 429 → `Retry` that pauses the channel for `Retry-After`;
other 4xx → `Refused` with the gateway's reason. Receipts and replies come back through
`POST /api/v1/alerts/receipts/{channel}` (`alerts.api`).
"""

from __future__ import annotations

from typing import Any

import httpx

from epitrace.alerts import sms_text
from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry
from epitrace.alerts.models import Channel
from epitrace.config import Settings

DEFAULT_PAUSE_SECONDS = 5.0
MAX_PAUSE_SECONDS = 3600.0


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("retry-after", "")
    try:
        return min(MAX_PAUSE_SECONDS, max(0.5, float(raw)))
    except ValueError:
        return DEFAULT_PAUSE_SECONDS


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for name in ("reason", "error", "message", "detail"):
            if body.get(name):
                return f"HTTP {response.status_code}: {body[name]}"
    return f"HTTP {response.status_code}: {response.text[:200]}"


class _JsonGateway:
    accepts_idempotency_key = True
    channel: Channel
    rate_per_second: float

    def __init__(self, url: str, token: str, timeout: float) -> None:
        if not url:
            raise ValueError("no gateway URL configured")
        self.url = url
        self.client = httpx.Client(
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "epitrace"},
        )

    def post(self, message: Outgoing, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(
                self.url, json=body, headers={"Idempotency-Key": str(message.key)}
            )
        except httpx.TimeoutException as exc:
            raise Retry(f"timeout: {exc.__class__.__name__}") from None
        except httpx.TransportError as exc:
            raise Retry(f"connection: {exc}") from None
        if response.status_code == 429:
            pause = _retry_after(response)
            raise Retry(_reason(response), after_seconds=pause, pause_seconds=pause)
        if response.status_code >= 500:
            raise Retry(_reason(response))
        if response.status_code >= 400:
            raise Refused(_reason(response))
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return answer if isinstance(answer, dict) else {}

    def close(self) -> None:
        self.client.close()


def _ref(answer: dict[str, Any]) -> str | None:
    ref = answer.get("id") or answer.get("message_id")
    return str(ref)[:80] if ref is not None else None


class HttpSmsAdapter(_JsonGateway):
    """`{"to": "+849…", "text": "…", "sender": brand, "unicode": false}`."""

    channel = Channel.SMS

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            settings.http_gateway_url,
            settings.http_gateway_token,
            settings.http_gateway_timeout_seconds,
        )
        self.rate_per_second = settings.sms_rate_per_second
        self.ucs2 = settings.smpp_ucs2
        self.price = settings.sms_price_per_segment
        self.sender = settings.alerts_brand

    def send(self, message: Outgoing) -> Accepted:
        if not message.phone:
            raise Refused("no phone number")
        prepared = sms_text.prepare(message.sms, ucs2=self.ucs2)
        answer = self.post(
            message,
            {
                "to": message.phone,
                "text": prepared.text,
                "sender": self.sender,
                "unicode": prepared.encoding == "ucs2",
            },
        )
        return Accepted(
            provider_ref=_ref(answer),
            segments=prepared.segments,
            cost=prepared.cost(self.price),
        )


class OttAdapter(_JsonGateway):
    """`{"to": "+849…", "template_id": "…", "params": {…}}`: the provider's approved
    templates (`EPITRACE_OTT_TEMPLATES` maps our template keys to its ids)."""

    channel = Channel.OTT

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            settings.ott_url, settings.ott_token, settings.http_gateway_timeout_seconds
        )
        self.rate_per_second = settings.ott_rate_per_second
        self.templates = dict(settings.ott_templates)
        self.price = settings.ott_price_per_message

    def send(self, message: Outgoing) -> Accepted:
        if not message.phone:
            raise Refused("no phone number")
        template_id = self.templates.get(message.template)
        if template_id is None:
            raise Refused(f"no OTT template for {message.template}")
        answer = self.post(
            message,
            {"to": message.phone, "template_id": template_id, "params": dict(message.params)},
        )
        return Accepted(provider_ref=_ref(answer), cost=self.price)
