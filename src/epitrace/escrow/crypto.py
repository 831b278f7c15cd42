"""Day keys, their two shares, and the sealed identity of a presence. Pure code, no database.

A presence's identity is sealed with HPKE (RFC 9180, base mode: DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, AES-128-GCM) from the `cryptography` package to the public key of its local day.
The HPKE `info` binds the ciphertext to the presence id and the day, so that a sealed identity
copied onto another row does not open. A day's private key is never kept whole: the key
ceremony writes it as two shares (a random pad, and the key XOR the pad), one per official;
both are needed to rebuild it, and each share alone is uniformly random.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
KEY_BYTES = 32  # an X25519 private or public key
HOLDERS = ("a", "b")  # the two shares of a day's private key, each kept by one official
SHARE_FORMAT = "epitrace-escrow-share/1"
PUBLIC_FORMAT = "epitrace-escrow-public/1"
_INFO = b"epitrace escrow identity v1|"
_PERSON, _VISITOR = b"p", b"m"


class ShareError(ValueError):
    """A share file that cannot be read (the message says why)."""


@dataclass(frozen=True)
class Identity:
    """Who a presence was: a person, or a visitor entered by hand."""

    person_id: uuid.UUID | None = None
    manual_visitor_id: uuid.UUID | None = None


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def digest(share: bytes) -> str:
    """The fingerprint of a share, kept beside the public key to recognise a wrong share."""
    return hashlib.sha256(b"epitrace escrow share|" + share).hexdigest()


@dataclass(frozen=True)
class DayKey:
    """The public half of a day's key pair and the fingerprints of its two shares."""

    day: date
    public_key: bytes
    share_digests: dict[str, str]


@dataclass(frozen=True)
class Ceremony:
    """What one key ceremony makes: the public keys, and each holder's shares by day."""

    ceremony_id: str
    public: list[DayKey]
    shares: dict[str, dict[date, bytes]]


def generate(days: list[date], *, ceremony_id: str | None = None) -> Ceremony:
    """A fresh key pair per day, split into two shares; the whole keys are then dropped."""
    ceremony = ceremony_id or uuid.uuid4().hex
    public: list[DayKey] = []
    shares: dict[str, dict[date, bytes]] = {h: {} for h in HOLDERS}
    for day in days:
        private = X25519PrivateKey.generate()
        pad = secrets.token_bytes(KEY_BYTES)
        other = bytes(x ^ y for x, y in zip(_raw_private(private), pad, strict=True))
        shares["a"][day] = pad
        shares["b"][day] = other
        public.append(
            DayKey(day, _raw_public(private.public_key()), {"a": digest(pad), "b": digest(other)})
        )
    return Ceremony(ceremony, public, shares)


def combine(share_a: bytes, share_b: bytes) -> X25519PrivateKey:
    """The day's private key from its two shares (in memory only)."""
    if len(share_a) != KEY_BYTES or len(share_b) != KEY_BYTES:
        raise ShareError("a share has 32 bytes")
    raw = bytes(x ^ y for x, y in zip(share_a, share_b, strict=True))
    return X25519PrivateKey.from_private_bytes(raw)


def public_of(private: X25519PrivateKey) -> bytes:
    return _raw_public(private.public_key())


def _info(presence_id: uuid.UUID, day: date) -> bytes:
    return _INFO + presence_id.bytes + day.isoformat().encode()


def seal(public_key: bytes, identity: Identity, *, presence_id: uuid.UUID, day: date) -> bytes:
    """The identity sealed to the day's public key; both kinds have the same length."""
    if identity.person_id is not None:
        plain = _PERSON + identity.person_id.bytes
    elif identity.manual_visitor_id is not None:
        plain = _VISITOR + identity.manual_visitor_id.bytes
    else:
        raise ValueError("an identity names a person or a visitor")
    key = X25519PublicKey.from_public_bytes(public_key)
    return SUITE.encrypt(plain, key, info=_info(presence_id, day))


def open_sealed(
    private: X25519PrivateKey, sealed: bytes, *, presence_id: uuid.UUID, day: date
) -> Identity:
    """The identity of a presence; raises ValueError if it was not sealed for this row."""
    try:
        plain = SUITE.decrypt(sealed, private, info=_info(presence_id, day))
    except (InvalidTag, ValueError) as exc:
        raise ValueError("the sealed identity does not open with this key for this row") from exc
    kind, raw = plain[:1], plain[1:]
    if kind == _PERSON:
        return Identity(person_id=uuid.UUID(bytes=raw))
    if kind == _VISITOR:
        return Identity(manual_visitor_id=uuid.UUID(bytes=raw))
    raise ValueError("unknown identity kind")


# -- files of the ceremony ------------------------------------------------------------------


def share_file(ceremony: Ceremony, holder: str) -> str:
    """The JSON text of one holder's shares (for one official's removable medium)."""
    return json.dumps(
        {
            "format": SHARE_FORMAT,
            "ceremony": ceremony.ceremony_id,
            "holder": holder,
            "days": {
                d.isoformat(): base64.b64encode(s).decode()
                for d, s in sorted(ceremony.shares[holder].items())
            },
        },
        indent=1,
    )


def public_file(ceremony: Ceremony) -> str:
    """The JSON text of the public keys and share fingerprints, for `escrow keys import`."""
    return json.dumps(
        {
            "format": PUBLIC_FORMAT,
            "ceremony": ceremony.ceremony_id,
            "days": [
                {
                    "day": k.day.isoformat(),
                    "public_key": base64.b64encode(k.public_key).decode(),
                    "share_a": k.share_digests["a"],
                    "share_b": k.share_digests["b"],
                }
                for k in ceremony.public
            ],
        },
        indent=1,
    )


@dataclass(frozen=True)
class Shares:
    """One official's shares as read from their file."""

    ceremony_id: str
    holder: str
    days: dict[date, bytes]


def read_share_file(text: str) -> Shares:
    try:
        data = json.loads(text)
        if data.get("format") != SHARE_FORMAT:
            raise ShareError("this is not an escrow share file")
        holder = data["holder"]
        if holder not in HOLDERS:
            raise ShareError("the share file names no holder (a or b)")
        days = {
            date.fromisoformat(d): base64.b64decode(s, validate=True)
            for d, s in data["days"].items()
        }
    except ShareError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShareError("the share file is damaged") from exc
    if any(len(s) != KEY_BYTES for s in days.values()):
        raise ShareError("the share file is damaged")
    return Shares(str(data.get("ceremony", "")), holder, days)


def read_public_file(text: str) -> tuple[str, list[DayKey]]:
    try:
        data = json.loads(text)
        if data.get("format") != PUBLIC_FORMAT:
            raise ShareError("this is not an escrow public key file")
        keys = [
            DayKey(
                date.fromisoformat(item["day"]),
                base64.b64decode(item["public_key"], validate=True),
                {"a": str(item["share_a"]), "b": str(item["share_b"])},
            )
            for item in data["days"]
        ]
    except ShareError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShareError("the public key file is damaged") from exc
    if any(len(k.public_key) != KEY_BYTES for k in keys):
        raise ShareError("the public key file is damaged")
    return str(data["ceremony"]), keys
