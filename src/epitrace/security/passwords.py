"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("epitrace-timing-equaliser")


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash or _DUMMY_HASH, password)) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
