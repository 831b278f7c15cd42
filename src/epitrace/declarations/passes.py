"""The personal QR pass: a short-lived signed token a door scanner verifies.

Layout (before base64url): version (1) ‖ key id (1) ‖ pseudonym (9 random bytes) ‖ colour
(1: 1 green, 2 yellow, 3 red) ‖ issued-at (uint32, unix seconds) ‖ lifetime (uint16, minutes)
‖ Ed25519 signature (64) — 82 bytes, 110 characters. The QR text is `EPP1.` + token. No name
or ID number is in the pass: the verifier learns the display name from the server, which logs
the read.
"""

from __future__ import annotations

import base64
import enum
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from epitrace.errors import N_
from epitrace.security import tokens
from epitrace.security.keys import Keyring, Purpose
from epitrace.security.tokens import TokenError

PREFIX = "EPP1."
VERSION = 1
PSEUDONYM_BYTES = 9
_BODY = struct.Struct(">9sBIH")
DEFAULT_LIFETIME_MINUTES = 5
CLOCK_SKEW = timedelta(minutes=2)


class Colour(enum.IntEnum):
    GREEN = 1
    YELLOW = 2
    RED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class PassClaims:
    pseudonym: str
    colour: Colour
    issued_at: datetime
    expires_at: datetime
    kid: int


def _pseudonym_bytes(pseudonym: str) -> bytes:
    raw = base64.urlsafe_b64decode(pseudonym + "=" * (-len(pseudonym) % 4))
    if len(raw) != PSEUDONYM_BYTES:
        raise ValueError("pseudonyms are 9 random bytes in base64url (12 characters)")
    return raw


def issue(
    keyring: Keyring,
    *,
    pseudonym: str,
    colour: Colour,
    now: datetime,
    lifetime_minutes: int = DEFAULT_LIFETIME_MINUTES,
) -> str:
    """The QR text of a pass valid from `now` for `lifetime_minutes`."""
    body = _BODY.pack(
        _pseudonym_bytes(pseudonym), int(colour), int(now.timestamp()), lifetime_minutes
    )
    return PREFIX + tokens.sign(keyring, Purpose.PASS, VERSION, body)


def verify(keyring: Keyring, text: str, *, now: datetime) -> PassClaims:
    """Check a scanned pass; raise TokenError (expired, forged, malformed, …) with the reason."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise TokenError("malformed", N_("This is not an epitrace personal pass."))
    signed = tokens.verify(
        keyring, Purpose.PASS, text[len(PREFIX) :], version=VERSION, body_length=_BODY.size
    )
    raw_pseudonym, colour, issued, lifetime = _BODY.unpack(signed.body)
    if colour not in Colour._value2member_map_:
        raise TokenError("malformed", N_("The code is incomplete or damaged."))
    issued_at = datetime.fromtimestamp(issued, UTC)
    expires_at = issued_at + timedelta(minutes=lifetime)
    if issued_at > now + CLOCK_SKEW:
        raise TokenError("not_yet_valid", N_("The pass was issued in the future; check the clock."))
    if now > expires_at:
        raise TokenError("expired", N_("The pass has expired. Ask the person to open it again."))
    return PassClaims(
        pseudonym=base64.urlsafe_b64encode(raw_pseudonym).decode("ascii"),
        colour=Colour(colour),
        issued_at=issued_at,
        expires_at=expires_at,
        kid=signed.kid,
    )
