"""The GAEN key schedule: TEKs, rolling proximity identifiers, metadata and the BLE payload.

Pure code (no database): the server, the device SDK, the CLI and the tests share it. The
definitions and known-answer vectors are those of the Exposure Notification cryptography
specification v1.2 (see docs/exposure.md).
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

EN_INTERVAL_SECONDS = 600  # one ENIntervalNumber lasts ten minutes
TEK_ROLLING_PERIOD = 144  # intervals per TEK: 144 x 10 min = one day
MAX_KEY_AGE_DAYS = 14  # keys older than this are neither uploaded nor matched
KEY_LENGTH = 16  # TEK, RPIK, AEMK, RPI: 128 bits
METADATA_LENGTH = 4
PAYLOAD_LENGTH = KEY_LENGTH + METADATA_LENGTH  # RPI || AEM, the BLE service data
METADATA_VERSION_1_0 = 0x40  # major 1 (bits 7-6 = 01), minor 0
ENIN_MAX = 2**32 - 1  # ENIN is a uint32
EN_SERVICE_UUID = 0xFD6F  # 16-bit service UUID of Exposure Notification

_SHA256 = hashes.SHA256()  # stateless; shared to save an allocation per derived key
_RPIK_INFO = b"EN-RPIK"
_AEMK_INFO = b"EN-AEMK"
_RPI_PREFIX = b"EN-RPI" + bytes(6)  # 12 bytes, followed by the ENIN (little-endian)


class ScheduleError(ValueError):
    """A value outside what the key schedule defines (wrong length, ENIN out of range)."""


def en_interval_number(moment: datetime | float) -> int:
    """ENIntervalNumber of a moment: floor(unix seconds / 600)."""
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    if seconds < 0:
        raise ScheduleError("ENIN is defined from the Unix epoch on")
    enin = int(seconds // EN_INTERVAL_SECONDS)
    if enin > ENIN_MAX:
        raise ScheduleError("ENIN does not fit in 32 bits")
    return enin


def interval_start_seconds(enin: int) -> int:
    """Unix seconds at which interval `enin` begins."""
    return enin * EN_INTERVAL_SECONDS


def interval_start(enin: int) -> datetime:
    """The UTC moment at which interval `enin` begins (ENINs past year 9999 have none)."""
    try:
        return datetime.fromtimestamp(interval_start_seconds(enin), UTC)
    except (ValueError, OverflowError) as exc:
        raise ScheduleError("this interval lies beyond the calendar's range") from exc


def rolling_start(enin: int) -> int:
    """The first interval of the TEK period that contains `enin` (a multiple of 144)."""
    return enin - enin % TEK_ROLLING_PERIOD


def new_tek() -> bytes:
    """16 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_LENGTH)


def _check_key(key: bytes, name: str = "key") -> None:
    if len(key) != KEY_LENGTH:
        raise ScheduleError(f"{name} must be {KEY_LENGTH} bytes, not {len(key)}")


def _hkdf(tek: bytes, info: bytes) -> bytes:
    _check_key(tek, "TEK")
    # salt=None is RFC 5869's default: a hash-length string of zeros
    return HKDF(algorithm=_SHA256, length=KEY_LENGTH, salt=None, info=info).derive(tek)


def derive_rpik(tek: bytes) -> bytes:
    """Rolling Proximity Identifier Key: HKDF-SHA256(TEK, no salt, "EN-RPIK", 16)."""
    return _hkdf(tek, _RPIK_INFO)


# HKDF-SHA256 without salt, 16 bytes out, is two HMACs: PRK = HMAC(32 zero bytes, TEK), then
# OKM = HMAC(PRK, info || 0x01)[:16] (RFC 5869). The first HMAC's key is constant, so its inner
# and outer SHA-256 states are computed once and copied; the second's key is the PRK padded
# with zeros to SHA-256's 64-byte block, XORed with the pads as one integer.
_SHA256_BLOCK = 64
_EXTRACT_INNER = hashlib.sha256(b"\x36" * _SHA256_BLOCK)
_EXTRACT_OUTER = hashlib.sha256(b"\x5c" * _SHA256_BLOCK)
_IPAD = int.from_bytes(b"\x36" * _SHA256_BLOCK, "big")
_OPAD = int.from_bytes(b"\x5c" * _SHA256_BLOCK, "big")
_RPIK_BLOCK_1 = _RPIK_INFO + b"\x01"


def derive_rpiks(teks: Iterable[bytes]) -> list[bytes]:
    """The RPIKs of many TEKs: `derive_rpik` of each, for a whole download at once.

    The same HKDF, written out as its HMACs over `hashlib`, so that a key costs five hash
    calls instead of an HKDF object (matching derives one RPIK per published key).
    """
    sha256 = hashlib.sha256
    inner_state = _EXTRACT_INNER.copy
    outer_state = _EXTRACT_OUTER.copy
    out = []
    for tek in teks:
        if len(tek) != KEY_LENGTH:
            _check_key(tek, "TEK")
        inner = inner_state()
        inner.update(tek)
        outer = outer_state()
        outer.update(inner.digest())
        prk = int.from_bytes(outer.digest(), "big") << 256  # zero-padded to 64 bytes
        expand = sha256((prk ^ _IPAD).to_bytes(_SHA256_BLOCK, "big") + _RPIK_BLOCK_1).digest()
        okm = sha256((prk ^ _OPAD).to_bytes(_SHA256_BLOCK, "big") + expand).digest()
        out.append(okm[:KEY_LENGTH])
    return out


def derive_aemk(tek: bytes) -> bytes:
    """Associated Encrypted Metadata Key: HKDF-SHA256(TEK, no salt, "EN-AEMK", 16)."""
    return _hkdf(tek, _AEMK_INFO)


def padded_data(enin: int) -> bytes:
    """ "EN-RPI" || 6 zero bytes || ENIN as uint32 little-endian."""
    if not 0 <= enin <= ENIN_MAX:
        raise ScheduleError("ENIN does not fit in 32 bits")
    return _RPI_PREFIX + struct.pack("<I", enin)


def rpi(rpik: bytes, enin: int) -> bytes:
    """Rolling Proximity Identifier of interval `enin`: AES-128-ECB(RPIK, PaddedData)."""
    return rpis(rpik, enin, 1)[0]


def rpis(rpik: bytes, start: int, count: int = TEK_ROLLING_PERIOD) -> list[bytes]:
    """The RPIs of `count` consecutive intervals, encrypted in one pass.

    ECB encrypts each block on its own, so concatenating the PaddedData blocks and calling the
    encryptor once gives the same RPIs as one call per interval, without the per-call overhead.
    """
    _check_key(rpik, "RPIK")
    if count < 0 or start < 0 or start + count - 1 > ENIN_MAX:
        raise ScheduleError("ENIN does not fit in 32 bits")
    blocks = b"".join(_RPI_PREFIX + struct.pack("<I", j) for j in range(start, start + count))
    encryptor = Cipher(algorithms.AES(rpik), modes.ECB()).encryptor()  # noqa: S305 - the spec
    out = encryptor.update(blocks) + encryptor.finalize()
    return [out[i : i + KEY_LENGTH] for i in range(0, len(out), KEY_LENGTH)]


def _ctr(aemk: bytes, rpi_bytes: bytes, data: bytes) -> bytes:
    _check_key(aemk, "AEMK")
    _check_key(rpi_bytes, "RPI")
    if len(data) != METADATA_LENGTH:
        raise ScheduleError(f"metadata must be {METADATA_LENGTH} bytes")
    encryptor = Cipher(algorithms.AES(aemk), modes.CTR(rpi_bytes)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def encrypt_metadata(aemk: bytes, rpi_bytes: bytes, metadata: bytes) -> bytes:
    """AEM: AES-128-CTR(AEMK, initial counter block = RPI) over the 4 metadata bytes."""
    return _ctr(aemk, rpi_bytes, metadata)


def decrypt_metadata(aemk: bytes, rpi_bytes: bytes, aem: bytes) -> bytes:
    """CTR mode is its own inverse: the same operation recovers the metadata."""
    return _ctr(aemk, rpi_bytes, aem)


@dataclass(frozen=True)
class Metadata:
    """The four metadata bytes: version, transmit power (signed dBm), two reserved zeros."""

    tx_power: int
    version: int = METADATA_VERSION_1_0

    def to_bytes(self) -> bytes:
        if not -128 <= self.tx_power <= 127:
            raise ScheduleError("TX power is a signed byte")
        if not 0 <= self.version <= 255:
            raise ScheduleError("version is one byte")
        return struct.pack("<Bbxx", self.version, self.tx_power)

    @classmethod
    def from_bytes(cls, data: bytes) -> Metadata:
        if len(data) != METADATA_LENGTH:
            raise ScheduleError(f"metadata must be {METADATA_LENGTH} bytes")
        version, tx_power = struct.unpack("<Bb", data[:2])
        return cls(tx_power=tx_power, version=version)


@dataclass(frozen=True)
class Payload:
    """What a phone broadcasts during one interval: RPI || AEM (BLE service data)."""

    rpi: bytes
    aem: bytes

    def to_bytes(self) -> bytes:
        return self.rpi + self.aem

    @classmethod
    def from_bytes(cls, data: bytes) -> Payload:
        if len(data) != PAYLOAD_LENGTH:
            raise ScheduleError(f"a payload is {PAYLOAD_LENGTH} bytes, not {len(data)}")
        return cls(rpi=data[:KEY_LENGTH], aem=data[KEY_LENGTH:])

    def advertisement(self) -> bytes:
        """The full BLE advertising data: flags, service UUID list, service data."""
        uuid = struct.pack("<H", EN_SERVICE_UUID)
        service_data = uuid + self.to_bytes()
        return (
            bytes([2, 0x01, 0x1A])  # flags: LE general discoverable, no BR/EDR
            + bytes([3, 0x03]) + uuid  # complete list of 16-bit service UUIDs
            + bytes([len(service_data) + 1, 0x16]) + service_data  # service data, 16-bit UUID
        )  # fmt: skip

    @classmethod
    def from_advertisement(cls, data: bytes) -> Payload:
        """Find the Exposure Notification service data in BLE advertising data."""
        position = 0
        while position < len(data):
            length = data[position]
            if length == 0 or position + 1 + length > len(data):
                break
            kind = data[position + 1]
            body = data[position + 2 : position + 1 + length]
            if kind == 0x16 and len(body) >= 2 and struct.unpack("<H", body[:2])[0] == 0xFD6F:
                return cls.from_bytes(body[2:])
            position += 1 + length
        raise ScheduleError("no Exposure Notification service data in the advertisement")


@dataclass(frozen=True)
class DerivedKeys:
    """A TEK with its two derived keys, computed once."""

    tek: bytes
    rpik: bytes
    aemk: bytes

    @classmethod
    def from_tek(cls, tek: bytes) -> DerivedKeys:
        return cls(tek=tek, rpik=derive_rpik(tek), aemk=derive_aemk(tek))

    def payload(self, enin: int, metadata: bytes) -> Payload:
        identifier = rpi(self.rpik, enin)
        return Payload(rpi=identifier, aem=encrypt_metadata(self.aemk, identifier, metadata))


def payload_for(tek: bytes, enin: int, metadata: bytes) -> Payload:
    """The payload broadcast with `tek` during interval `enin`."""
    return DerivedKeys.from_tek(tek).payload(enin, metadata)
