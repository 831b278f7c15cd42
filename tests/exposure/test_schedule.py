"""The key schedule reproduces the specification's known answers byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.exposure import schedule

TEK = bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")
START = 2642976
METADATA = bytes.fromhex("40080000")
VECTORS = [
    (2642976, "8be6cd371c5c891604bfbe49df845096", "72033874"),
    (2642977, "3c9a1de5dd6b02afa7fded7b570b3e56", "c29211b1"),
    (2642978, "243ffe9a3b08bded3094bac8630bb8ad", "6adfad03"),
]

keys16 = st.binary(min_size=16, max_size=16)
enins = st.integers(min_value=0, max_value=schedule.ENIN_MAX)


def test_interval_number_of_the_key_generation_time() -> None:
    assert schedule.en_interval_number(1585785600) == START
    assert schedule.en_interval_number(datetime(2020, 4, 2, tzinfo=UTC)) == START
    assert schedule.rolling_start(START) == START
    assert START % schedule.TEK_ROLLING_PERIOD == 0


def test_derived_keys() -> None:
    assert schedule.derive_rpik(TEK).hex() == "185ad91db69ec7dd048960f1f3ba6175"
    assert schedule.derive_aemk(TEK).hex() == "d57c46af7a1d83965b9bed8bd152936a"


def test_padded_data() -> None:
    assert schedule.padded_data(START).hex() == "454e2d52504900000000000020542800"


@pytest.mark.parametrize(("enin", "rpi", "aem"), VECTORS)
def test_rpi_and_aem(enin: int, rpi: str, aem: str) -> None:
    payload = schedule.payload_for(TEK, enin, METADATA)
    assert payload.rpi.hex() == rpi
    assert payload.aem.hex() == aem
    assert schedule.rpi(schedule.derive_rpik(TEK), enin).hex() == rpi


def test_rpis_in_one_pass_equal_one_at_a_time() -> None:
    rpik = schedule.derive_rpik(TEK)
    together = schedule.rpis(rpik, START, 144)
    assert len(together) == 144
    assert [r.hex() for r in together[:3]] == [v[1] for v in VECTORS]
    assert together == [schedule.rpi(rpik, START + j) for j in range(144)]


def test_metadata_bytes() -> None:
    meta = schedule.Metadata.from_bytes(METADATA)
    assert meta == schedule.Metadata(tx_power=8, version=0x40)
    assert schedule.Metadata(tx_power=-20).to_bytes() == bytes([0x40, 0xEC, 0, 0])
    with pytest.raises(schedule.ScheduleError):
        schedule.Metadata(tx_power=200).to_bytes()


def test_wrong_lengths_are_refused() -> None:
    with pytest.raises(schedule.ScheduleError):
        schedule.derive_rpik(b"short")
    with pytest.raises(schedule.ScheduleError):
        schedule.Payload.from_bytes(bytes(19))
    with pytest.raises(schedule.ScheduleError):
        schedule.padded_data(2**32)
    with pytest.raises(schedule.ScheduleError):
        schedule.en_interval_number(-1)
    with pytest.raises(schedule.ScheduleError):
        schedule.encrypt_metadata(bytes(16), bytes(16), bytes(3))


@given(tek=keys16, enin=enins, tx=st.integers(-128, 127))
def test_payload_round_trip(tek: bytes, enin: int, tx: int) -> None:
    metadata = schedule.Metadata(tx_power=tx).to_bytes()
    keys = schedule.DerivedKeys.from_tek(tek)
    payload = keys.payload(enin, metadata)
    assert schedule.Payload.from_bytes(payload.to_bytes()) == payload
    assert schedule.Payload.from_advertisement(payload.advertisement()) == payload
    decrypted = schedule.decrypt_metadata(keys.aemk, payload.rpi, payload.aem)
    assert schedule.Metadata.from_bytes(decrypted).tx_power == tx


@given(seconds=st.integers(min_value=0, max_value=schedule.ENIN_MAX * 600 + 599))
def test_interval_boundaries(seconds: int) -> None:
    enin = schedule.en_interval_number(seconds)
    start = schedule.interval_start_seconds(enin)
    assert start <= seconds < start + schedule.EN_INTERVAL_SECONDS
    rolling = schedule.rolling_start(enin)
    assert rolling % 144 == 0
    assert rolling <= enin < rolling + 144


@given(enin=st.integers(min_value=0, max_value=schedule.ENIN_MAX - 1))
def test_rpis_change_every_interval(enin: int) -> None:
    rpik = schedule.derive_rpik(TEK)
    assert schedule.rpi(rpik, enin) != schedule.rpi(rpik, enin + 1)
    assert schedule.padded_data(enin)[12:] == enin.to_bytes(4, "little")


def test_advertisement_layout() -> None:
    payload = schedule.payload_for(TEK, START, METADATA)
    adv = payload.advertisement()
    assert adv[:7] == bytes([2, 0x01, 0x1A, 3, 0x03, 0x6F, 0xFD])
    assert adv[7:11] == bytes([23, 0x16, 0x6F, 0xFD])
    assert adv[11:] == payload.to_bytes()
    with pytest.raises(schedule.ScheduleError):
        schedule.Payload.from_advertisement(adv[:7])


def test_cli_prints_the_vectors() -> None:
    result = CliRunner().invoke(
        app,
        ["exposure", "rpis", "--tek", TEK.hex(), "--start", str(START), "--count", "3",
         "--metadata", METADATA.hex()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{e} {r} {a}" for e, r, a in VECTORS]


def test_cli_refuses_a_bad_key() -> None:
    result = CliRunner().invoke(app, ["exposure", "rpis", "--tek", "abcd", "--start", "0"])
    assert result.exit_code != 0
    assert "16 bytes" in result.output
