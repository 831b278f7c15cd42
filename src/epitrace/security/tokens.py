"""Compact Ed25519-signed tokens: `payload ‖ signature`, base64url without padding.

Pure code (no database): venue QR tokens and personal passes are both built on it. The
first payload byte is a format version and the second the signing key id, so a verifier can
pick the key before checking the signature.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from epitrace.errors import N_
from epitrace.security.keys import Keyring, Purpose

SIGNATURE_BYTES = 64


class TokenError(ValueError):
    """Why a token was refused; `reason` is a stable code, the message a msgid."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class SignedPayload:
    version: int
    kid: int
    body: bytes  # the payload after the version and key id bytes


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    if not text or any(c not in _ALPHABET for c in text):
        raise TokenError("malformed", N_("The code is not a valid epitrace code."))
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("malformed", N_("The code is not a valid epitrace code.")) from exc


_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def sign(keyring: Keyring, purpose: Purpose, version: int, body: bytes) -> str:
    """Sign `version ‖ kid ‖ body` with the purpose's active key."""
    kid, key = keyring.signing_key(purpose)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise TypeError(f"{purpose.value} keys must be Ed25519")
    payload = bytes([version, kid]) + body
    return b64encode(payload + key.sign(payload))


def verify(
    keyring: Keyring, purpose: Purpose, token: str, *, version: int, body_length: int
) -> SignedPayload:
    """Check a token's shape, key and signature; raise TokenError with the reason."""
    raw = b64decode(token.strip())
    if len(raw) != 2 + body_length + SIGNATURE_BYTES:
        raise TokenError("malformed", N_("The code is incomplete or damaged."))
    if raw[0] != version:
        raise TokenError("version", N_("The code was made by an unsupported version."))
    kid = raw[1]
    public = keyring.verifying_key(purpose, kid)
    if public is None:
        raise TokenError("unknown_key", N_("The code was signed by a key that is not trusted."))
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise TokenError("unknown_key", N_("The code was signed by a key that is not trusted."))
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    try:
        public.verify(signature, payload)
    except InvalidSignature as exc:
        raise TokenError(
            "forged", N_("The code is not genuine: its signature does not match.")
        ) from exc
    return SignedPayload(version=raw[0], kid=kid, body=payload[2:])
