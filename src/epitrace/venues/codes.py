"""Signed venue QR codes: a compact token carrying the venue number and code version.

Pure code (no database). Layout before base64url: format version (1) ‖ key id (1) ‖ venue
number (uint32) ‖ code version (uint16) ‖ Ed25519 signature (64) — 72 bytes, 96 characters.
With a 40-character base URL the whole `<base>/c/<token>` is 139 characters: QR version 8 at
error-correction level M (version 10 holds 213 bytes at M).
"""

from __future__ import annotations

import struct
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from epitrace.security import tokens
from epitrace.security.keys import Keyring, Purpose
from epitrace.security.tokens import TokenError

FORMAT_VERSION = 1
_BODY = struct.Struct(">IH")
TOKEN_LENGTH = 96  # characters of base64url: (2 + 6 + 64) bytes * 4 / 3
PATH_PREFIX = "/c/"
MAX_NUMBER = 2**32 - 1
MAX_CODE_VERSION = 2**16 - 1

__all__ = ["TokenError", "VenueCode", "make_token", "read_token", "token_from_text", "url_for"]


@dataclass(frozen=True)
class VenueCode:
    number: int
    code_version: int
    kid: int


def make_token(keyring: Keyring, *, number: int, code_version: int) -> str:
    """Sign a venue's current code with the active venue key."""
    if not 0 < number <= MAX_NUMBER or not 0 < code_version <= MAX_CODE_VERSION:
        raise ValueError("venue number or code version out of range")
    return tokens.sign(keyring, Purpose.VENUE, FORMAT_VERSION, _BODY.pack(number, code_version))


VERIFIED_CACHE_SIZE = 4096  # tokens per keyring; a venue has one current code
_verified: weakref.WeakKeyDictionary[Keyring, OrderedDict[str, tuple[object, VenueCode]]] = (
    weakref.WeakKeyDictionary()
)
_verified_lock = threading.Lock()


def read_token(keyring: Keyring, token: str) -> VenueCode:
    """Check a token's shape, key and signature; raise TokenError with the reason.

    A token that verified is remembered (the last `VERIFIED_CACHE_SIZE` per keyring) for as
    long as the keyring stays as it was: any change to it (a key retired, created or pruned,
    here or by another process) verifies every token again. Only the signature check is
    remembered; whether the code is still the venue's current one, and whether the venue is
    open, is for the caller to read each time.
    """
    version = keyring.version()
    with _verified_lock:
        known = _verified.get(keyring)
        hit = known.get(token) if known is not None else None
        if known is not None and hit is not None and hit[0] == version:
            known.move_to_end(token)
            return hit[1]
    signed = tokens.verify(
        keyring, Purpose.VENUE, token, version=FORMAT_VERSION, body_length=_BODY.size
    )
    number, code_version = _BODY.unpack(signed.body)
    code = VenueCode(number=number, code_version=code_version, kid=signed.kid)
    if version is not None:
        with _verified_lock:
            known = _verified.setdefault(keyring, OrderedDict())
            known[token] = (version, code)
            known.move_to_end(token)
            while len(known) > VERIFIED_CACHE_SIZE:
                known.popitem(last=False)
    return code


def url_for(base_url: str, token: str) -> str:
    """The address printed in the QR code; any phone camera opens it."""
    return base_url.rstrip("/") + PATH_PREFIX + token


def token_from_text(text: str) -> str:
    """The token in a scanned text: a full check-in URL or the bare token."""
    text = text.strip()
    marker = text.rfind(PATH_PREFIX)
    if marker >= 0:
        text = text[marker + len(PATH_PREFIX) :]
    return text.split("?", 1)[0].split("#", 1)[0].rstrip("/")
