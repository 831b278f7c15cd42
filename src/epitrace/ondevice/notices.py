"""Signed hotspot notices of on-device mode: canonical JSON, Ed25519 signature, venue tags.

Pure code (no database). A notice is the UTF-8 canonical JSON of its fields (keys sorted, no
spaces, no escaping beyond JSON's own), signed as bytes with the hotspot-notice key. The phone
is sent those exact bytes (base64url) with the signature and key id, verifies them, and only
then parses them: it never has to rebuild a canonical form itself.

The venue is not named in a notice. Its `venue` field is a tag that only someone holding the
venue's QR code can recompute (as CrowdNotifier does): the venue secret is SHA-256 of a label
and the code's token (whose Ed25519 signature nobody can guess without the code), and the tag
is HMAC-SHA256(venue secret, label ‖ notice id), cut to 16 bytes. A phone computes the tag of
each stored visit for each notice; tags of two notices of one venue differ, so the public
list does not even show which notices concern the same place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from epitrace.security import tokens

FORMAT_VERSION = 1
VENUE_SECRET_LABEL = b"epitrace/venue-secret/v1\n"
VENUE_TAG_LABEL = b"epitrace/hotspot-tag/v1\n"
TAG_BYTES = 16

SEVERITIES = ("monitor_symptoms", "get_tested")
STATUSES = ("active", "withdrawn")


class NoticeError(ValueError):
    """A notice that is malformed or whose signature does not verify."""


def canonical_json(value: dict[str, Any]) -> bytes:
    """The one byte form of a JSON object that is signed (RFC 8785 for our plain values)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def iso(moment: datetime) -> str:
    """A UTC time as signed in notices: seconds, 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def venue_secret(token: str) -> bytes:
    """What a phone derives from a scanned venue code and keeps with the visit."""
    return hashlib.sha256(VENUE_SECRET_LABEL + token.encode("ascii")).digest()


def venue_tag(secret: bytes, notice_id: str) -> str:
    """The venue's tag in one notice (base64url, 16 bytes)."""
    mac = hmac.new(secret, VENUE_TAG_LABEL + notice_id.encode("ascii"), hashlib.sha256)
    return tokens.b64encode(mac.digest()[:TAG_BYTES])


@dataclass(frozen=True)
class SignedNotice:
    """What the public list carries for one notice."""

    id: str
    kid: int
    payload: str  # base64url of the canonical JSON
    signature: str  # base64url of the Ed25519 signature over the payload bytes


def body(
    *,
    notice_id: str,
    tag: str,
    starts_at: datetime,
    ends_at: datetime,
    severity: str,
    instructions_vi: str,
    instructions_en: str,
    issued_at: datetime,
    expires_at: datetime,
    status: str,
) -> dict[str, Any]:
    """The fields of a notice, as signed."""
    if severity not in SEVERITIES or status not in STATUSES:
        raise NoticeError("unknown severity or status")
    return {
        "v": FORMAT_VERSION,
        "id": notice_id,
        "venue": tag,
        "start": iso(starts_at),
        "end": iso(ends_at),
        "severity": severity,
        "instructions": {"vi": instructions_vi, "en": instructions_en},
        "issued": iso(issued_at),
        "expires": iso(expires_at),
        "status": status,
    }


def sign(private: ed25519.Ed25519PrivateKey, kid: int, fields: dict[str, Any]) -> SignedNotice:
    payload = canonical_json(fields)
    return SignedNotice(
        id=str(fields["id"]),
        kid=kid,
        payload=tokens.b64encode(payload),
        signature=tokens.b64encode(private.sign(payload)),
    )


def verify(public: ed25519.Ed25519PublicKey, notice: SignedNotice) -> dict[str, Any]:
    """The notice's fields if its signature holds; NoticeError otherwise."""
    try:
        payload = tokens.b64decode(notice.payload)
        public.verify(tokens.b64decode(notice.signature), payload)
    except (InvalidSignature, ValueError) as exc:  # TokenError is a ValueError
        raise NoticeError("the signature does not verify") from exc
    fields: dict[str, Any] = json.loads(payload)
    if fields.get("v") != FORMAT_VERSION or fields.get("id") != notice.id:
        raise NoticeError("unknown format or a payload of another notice")
    return fields


def raw_public_key(public: ed25519.Ed25519PublicKey) -> str:
    """The 32 bytes of a public key, base64url: what WebCrypto imports as 'raw'."""
    return tokens.b64encode(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
