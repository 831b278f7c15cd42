"""Exposure Notification key export files: write, read and verify (`export.bin` + `export.sig`).

Pure code (no database). A file is a zip holding `export.bin` (a 16-byte header and a
`TemporaryExposureKeyExport` protobuf) and `export.sig` (a `TEKSignatureList` whose ECDSA P-256
SHA-256 signature covers the whole of `export.bin`). Any EN client reads what this writes, and
this reads any EN key server's files.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf.message import DecodeError

from epitrace.exposure import schedule
from epitrace.exposure.proto import messages

HEADER = b"EK Export v1    "  # 16 bytes, padded with spaces
ECDSA_P256_SHA256_OID = "1.2.840.10045.4.3.2"
MAX_KEYS_PER_FILE = 750_000
BIN_NAME = "export.bin"
SIG_NAME = "export.sig"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a 750,000-key file is about 25 MB; refuse zip bombs


class ReportType:
    """Report types of the export format (enum TemporaryExposureKey.ReportType)."""

    UNKNOWN = 0
    CONFIRMED_TEST = 1
    CONFIRMED_CLINICAL_DIAGNOSIS = 2
    SELF_REPORT = 3
    RECURSIVE = 4
    REVOKED = 5


class ExportFormatError(ValueError):
    """The bytes are not an export file (bad zip, header or protobuf)."""


@dataclass(frozen=True)
class ExportKey:
    key_data: bytes
    rolling_start_interval_number: int
    rolling_period: int = schedule.TEK_ROLLING_PERIOD
    report_type: int = ReportType.CONFIRMED_TEST
    days_since_onset_of_symptoms: int | None = None
    transmission_risk_level: int | None = None


@dataclass(frozen=True)
class SigningIdentity:
    """What the file says about the key that signed it (the client's config names it)."""

    key_id: str  # verification_key_id: for EN clients, the region's mobile country code
    key_version: str  # verification_key_version, e.g. "v1"
    algorithm: str = ECDSA_P256_SHA256_OID


@dataclass
class ExportFile:
    """A read export file."""

    start_timestamp: int
    end_timestamp: int
    region: str
    batch_num: int
    batch_size: int
    keys: list[ExportKey]
    revised_keys: list[ExportKey]
    signature_infos: list[SigningIdentity]
    signatures: list[tuple[SigningIdentity, bytes]] = field(default_factory=list)
    export_bin: bytes = b""


def random_padding_key(rolling_start: int) -> ExportKey:
    """A key indistinguishable from a real one, to hide how few keys a file holds."""
    return ExportKey(key_data=schedule.new_tek(), rolling_start_interval_number=rolling_start)


def _encode_key(target: object, key: ExportKey) -> None:
    message = target.add()  # type: ignore[attr-defined]
    message.key_data = key.key_data
    message.rolling_start_interval_number = key.rolling_start_interval_number
    message.rolling_period = key.rolling_period
    message.report_type = key.report_type
    if key.days_since_onset_of_symptoms is not None:
        message.days_since_onset_of_symptoms = key.days_since_onset_of_symptoms
    if key.transmission_risk_level is not None:
        message.transmission_risk_level = key.transmission_risk_level


def build_export_bin(
    *,
    keys: Sequence[ExportKey],
    start_timestamp: int,
    end_timestamp: int,
    region: str,
    batch_num: int,
    batch_size: int,
    identity: SigningIdentity,
    revised_keys: Sequence[ExportKey] = (),
) -> bytes:
    """The header and the protobuf; keys are written sorted by key bytes."""
    if len(keys) + len(revised_keys) > MAX_KEYS_PER_FILE:
        raise ValueError(f"at most {MAX_KEYS_PER_FILE} keys fit in one file")
    export = messages.TemporaryExposureKeyExport(
        start_timestamp=start_timestamp,
        end_timestamp=end_timestamp,
        region=region,
        batch_num=batch_num,
        batch_size=batch_size,
    )
    export.signature_infos.add(
        verification_key_version=identity.key_version,
        verification_key_id=identity.key_id,
        signature_algorithm=identity.algorithm,
    )
    for key in sorted(keys, key=lambda k: k.key_data):
        _encode_key(export.keys, key)
    for key in sorted(revised_keys, key=lambda k: k.key_data):
        _encode_key(export.revised_keys, key)
    return HEADER + bytes(export.SerializeToString())


def sign(export_bin: bytes, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """ECDSA P-256 SHA-256 over the whole of export.bin, DER-encoded."""
    return private_key.sign(export_bin, ec.ECDSA(hashes.SHA256()))


def build_signature_list(
    signature: bytes, *, identity: SigningIdentity, batch_num: int, batch_size: int
) -> bytes:
    signatures = messages.TEKSignatureList()
    entry = signatures.signatures.add(
        batch_num=batch_num, batch_size=batch_size, signature=signature
    )
    entry.signature_info.verification_key_version = identity.key_version
    entry.signature_info.verification_key_id = identity.key_id
    entry.signature_info.signature_algorithm = identity.algorithm
    return bytes(signatures.SerializeToString())


def write_zip(export_bin: bytes, export_sig: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # a fixed date keeps the bytes of a file a function of its content
        for name, data in ((BIN_NAME, export_bin), (SIG_NAME, export_sig)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def build_file(
    *,
    keys: Sequence[ExportKey],
    start_timestamp: int,
    end_timestamp: int,
    region: str,
    batch_num: int,
    batch_size: int,
    identity: SigningIdentity,
    private_key: ec.EllipticCurvePrivateKey,
) -> bytes:
    """A complete signed export zip."""
    export_bin = build_export_bin(
        keys=keys,
        start_timestamp=start_timestamp,
        end_timestamp=end_timestamp,
        region=region,
        batch_num=batch_num,
        batch_size=batch_size,
        identity=identity,
    )
    signature = sign(export_bin, private_key)
    export_sig = build_signature_list(
        signature, identity=identity, batch_num=batch_num, batch_size=batch_size
    )
    return write_zip(export_bin, export_sig)


def _decode_key(message: object) -> ExportKey:
    m: object = message
    return ExportKey(
        key_data=bytes(m.key_data),  # type: ignore[attr-defined]
        rolling_start_interval_number=int(m.rolling_start_interval_number),  # type: ignore[attr-defined]
        rolling_period=int(m.rolling_period),  # type: ignore[attr-defined]
        report_type=int(m.report_type),  # type: ignore[attr-defined]
        days_since_onset_of_symptoms=(
            int(m.days_since_onset_of_symptoms)  # type: ignore[attr-defined]
            if m.HasField("days_since_onset_of_symptoms")  # type: ignore[attr-defined]
            else None
        ),
        transmission_risk_level=(
            int(m.transmission_risk_level)  # type: ignore[attr-defined]
            if m.HasField("transmission_risk_level")  # type: ignore[attr-defined]
            else None
        ),
    )


def _identity(info: object) -> SigningIdentity:
    return SigningIdentity(
        key_id=str(info.verification_key_id),  # type: ignore[attr-defined]
        key_version=str(info.verification_key_version),  # type: ignore[attr-defined]
        algorithm=str(info.signature_algorithm),  # type: ignore[attr-defined]
    )


def read_file(data: bytes) -> ExportFile:
    """Parse an export zip; raises ExportFormatError for anything that is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if BIN_NAME not in names or SIG_NAME not in names:
                raise ExportFormatError("the zip must hold export.bin and export.sig")
            for info in archive.infolist():
                if info.file_size > MAX_FILE_BYTES:
                    raise ExportFormatError("an entry of the zip is too large")
            export_bin = archive.read(BIN_NAME)
            export_sig = archive.read(SIG_NAME)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ExportFormatError(f"not a readable zip file: {exc}") from exc
    if export_bin[: len(HEADER)] != HEADER:
        raise ExportFormatError("export.bin does not start with the 'EK Export v1' header")
    try:
        export = messages.TemporaryExposureKeyExport.FromString(export_bin[len(HEADER) :])
        signature_list = messages.TEKSignatureList.FromString(export_sig)
    except DecodeError as exc:
        raise ExportFormatError(f"the protobuf cannot be decoded: {exc}") from exc
    return ExportFile(
        start_timestamp=int(export.start_timestamp),
        end_timestamp=int(export.end_timestamp),
        region=str(export.region),
        batch_num=int(export.batch_num),
        batch_size=int(export.batch_size),
        keys=[_decode_key(k) for k in export.keys],
        revised_keys=[_decode_key(k) for k in export.revised_keys],
        signature_infos=[_identity(i) for i in export.signature_infos],
        signatures=[
            (_identity(s.signature_info), bytes(s.signature)) for s in signature_list.signatures
        ],
        export_bin=export_bin,
    )


def load_public_key(pem: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ExportFormatError("the public key is not an ECDSA P-256 key")
    return key


def verify(export: ExportFile, public_key: ec.EllipticCurvePublicKey) -> bool:
    """True when one ECDSA P-256 SHA-256 signature in export.sig checks over export.bin."""
    for identity, signature in export.signatures:
        if identity.algorithm != ECDSA_P256_SHA256_OID:
            continue
        try:
            public_key.verify(signature, export.export_bin, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return True
    return False


def random_extra(limit: int) -> int:
    """0..limit random padding keys more, so that the count of real keys does not show."""
    return secrets.randbelow(limit + 1) if limit > 0 else 0
