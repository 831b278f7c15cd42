"""Keyring rotation and the compact signed tokens built on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace.security import tokens
from epitrace.security.keys import Keyring, KeyStatus, Purpose
from epitrace.security.tokens import TokenError


def test_rotation_keeps_old_tokens_valid_until_retired(tmp_path: Path) -> None:
    ring = Keyring(tmp_path)
    old = tokens.sign(ring, Purpose.VENUE, 1, b"venue-7")
    info = ring.create(Purpose.VENUE)
    assert info.kid == 2
    new = tokens.sign(ring, Purpose.VENUE, 1, b"venue-7")
    assert tokens.verify(ring, Purpose.VENUE, old, version=1, body_length=7).kid == 1
    assert tokens.verify(ring, Purpose.VENUE, new, version=1, body_length=7).kid == 2
    assert [k.status for k in ring.list(Purpose.VENUE)] == [KeyStatus.TRUSTED, KeyStatus.ACTIVE]
    ring.set_status(Purpose.VENUE, 1, KeyStatus.RETIRED)
    with pytest.raises(TokenError) as exc:
        tokens.verify(ring, Purpose.VENUE, old, version=1, body_length=7)
    assert exc.value.reason == "unknown_key"
    assert (tmp_path / "venue" / "1.pem").stat().st_mode & 0o077 == 0


def test_keys_of_one_purpose_do_not_verify_another(tmp_path: Path) -> None:
    ring = Keyring(tmp_path)
    token = tokens.sign(ring, Purpose.VENUE, 1, b"x")
    ring.ensure(Purpose.PASS)
    # pass key 1 exists but is a different key: the signature does not match
    with pytest.raises(TokenError) as exc:
        tokens.verify(ring, Purpose.PASS, token, version=1, body_length=1)
    assert exc.value.reason == "forged"


@given(body=st.binary(min_size=1, max_size=12), position=st.integers(min_value=0))
def test_any_altered_byte_is_refused(
    tmp_path_factory: pytest.TempPathFactory, body: bytes, position: int
) -> None:
    ring = Keyring(tmp_path_factory.getbasetemp() / "prop-keys")
    token = tokens.sign(ring, Purpose.VENUE, 1, body)
    raw = bytearray(tokens.b64decode(token))
    raw[position % len(raw)] ^= 0x01
    with pytest.raises(TokenError):
        tokens.verify(
            ring, Purpose.VENUE, tokens.b64encode(bytes(raw)), version=1, body_length=len(body)
        )
    with pytest.raises(TokenError) as truncated:
        tokens.verify(ring, Purpose.VENUE, token[:-4], version=1, body_length=len(body))
    assert truncated.value.reason == "malformed"


@pytest.mark.parametrize("junk", ["", "!!!", "abc def", "é", "A" * 3])
def test_malformed_tokens(tmp_path: Path, junk: str) -> None:
    with pytest.raises(TokenError) as exc:
        tokens.verify(Keyring(tmp_path), Purpose.VENUE, junk, version=1, body_length=6)
    assert exc.value.reason == "malformed"
