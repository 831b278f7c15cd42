"""Signed venue codes: compact, decodable by an independent reader, refused when tampered."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epitrace.security.keys import Keyring, KeyStatus, Purpose
from epitrace.security.tokens import TokenError, b64decode, b64encode
from epitrace.venues import codes, posters
from tests.qr import decode_qr

BASE_40 = "https://checkin.suckhoe.hochiminhcity.vn"


@pytest.fixture
def ring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path / "keys")


def test_base_url_of_the_size_test_is_40_characters() -> None:
    assert len(BASE_40) == 40


def test_round_trip_and_qr_fits_version_10_at_level_m(ring: Keyring) -> None:
    token = codes.make_token(ring, number=2**32 - 1, code_version=2**16 - 1)
    assert len(token) == codes.TOKEN_LENGTH
    url = codes.url_for(BASE_40, token)
    code = posters.qr(url)
    assert code.error == "M"
    assert code.version <= 10
    decoded = codes.read_token(ring, codes.token_from_text(url))
    assert (decoded.number, decoded.code_version) == (2**32 - 1, 2**16 - 1)
    image = posters.qr_image(url, scale=4)
    assert decode_qr(image) == [url]


def test_token_from_text_accepts_url_or_bare_token() -> None:
    assert codes.token_from_text(" https://x.vn/c/ABC?utm=1 ") == "ABC"
    assert codes.token_from_text("ABC") == "ABC"
    assert codes.token_from_text("https://x.vn/c/ABC/#x") == "ABC"


def test_rotation_keeps_old_codes_until_the_key_is_retired(ring: Keyring) -> None:
    old = codes.make_token(ring, number=7, code_version=1)
    ring.create(Purpose.VENUE)
    new = codes.make_token(ring, number=7, code_version=1)
    assert old != new
    assert codes.read_token(ring, old).kid == 1
    assert codes.read_token(ring, new).kid == 2
    ring.set_status(Purpose.VENUE, 1, KeyStatus.RETIRED)
    with pytest.raises(TokenError) as info:
        codes.read_token(ring, old)
    assert info.value.reason == "unknown_key"


def test_a_code_signed_elsewhere_is_refused(ring: Keyring, tmp_path: Path) -> None:
    ring.ensure(Purpose.VENUE)
    stranger = Keyring(tmp_path / "other")
    forged = codes.make_token(stranger, number=7, code_version=1)
    with pytest.raises(TokenError) as info:
        codes.read_token(ring, forged)
    assert info.value.reason == "forged"


def test_truncated_and_garbage_tokens_are_malformed(ring: Keyring) -> None:
    token = codes.make_token(ring, number=7, code_version=1)
    for bad in (token[:-1], token[:50], "", "not a token!", token + "AA"):
        with pytest.raises(TokenError) as info:
            codes.read_token(ring, bad)
        assert info.value.reason == "malformed"


def test_out_of_range_numbers_cannot_be_signed(ring: Keyring) -> None:
    with pytest.raises(ValueError, match="out of range"):
        codes.make_token(ring, number=0, code_version=1)
    with pytest.raises(ValueError, match="out of range"):
        codes.make_token(ring, number=1, code_version=2**16)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    number=st.integers(1, 2**32 - 1),
    version=st.integers(1, 2**16 - 1),
    position=st.integers(0, 71),
    flip=st.integers(1, 255),
)
def test_any_altered_byte_is_refused(
    tmp_path_factory: pytest.TempPathFactory, number: int, version: int, position: int, flip: int
) -> None:
    ring = Keyring(tmp_path_factory.getbasetemp() / "venue-prop-keys")
    token = codes.make_token(ring, number=number, code_version=version)
    raw = bytearray(b64decode(token))
    assert codes.read_token(ring, token).number == number
    raw[position] ^= flip
    with pytest.raises(TokenError) as info:
        codes.read_token(ring, b64encode(bytes(raw)))
    assert info.value.reason in {"forged", "unknown_key", "version"}


def test_a_verified_code_is_remembered_until_the_keyring_changes(
    ring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = codes.make_token(ring, number=9, code_version=3)
    verified = []
    real_verify = codes.tokens.verify

    def counting_verify(*args: object, **kwargs: object) -> object:
        verified.append(1)
        return real_verify(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(codes.tokens, "verify", counting_verify)
    first = codes.read_token(ring, token)
    again = codes.read_token(ring, token)
    assert first == again
    assert (again.number, again.code_version) == (9, 3)
    assert len(verified) == 1  # the signature was checked once

    # a change made by another process (the command line) is seen at once
    Keyring(ring.directory).create(Purpose.VENUE)
    assert codes.read_token(ring, token).kid == 1  # verified again: the key is still trusted
    assert len(verified) == 2
    Keyring(ring.directory).set_status(Purpose.VENUE, 1, KeyStatus.RETIRED)
    with pytest.raises(TokenError) as info:
        codes.read_token(ring, token)
    assert info.value.reason == "unknown_key"


def test_the_memory_of_verified_codes_is_bounded(
    ring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codes, "VERIFIED_CACHE_SIZE", 3)
    tokens = [codes.make_token(ring, number=n, code_version=1) for n in range(1, 6)]
    for token in tokens:
        codes.read_token(ring, token)
    assert list(codes._verified[ring]) == tokens[-3:]  # the least recently used went first
    codes.read_token(ring, tokens[2])
    codes.read_token(ring, tokens[0])
    assert list(codes._verified[ring]) == [tokens[4], tokens[2], tokens[0]]
