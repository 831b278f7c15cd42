"""Export files: the reference server's file reads and verifies; ours round-trip and verify."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.exposure import exportfile
from epitrace.exposure.exportfile import ExportKey, SigningIdentity

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "specs" / "fixtures"
if not FIXTURES.exists():  # the checkout sits next to shared/ or inside the work folder
    FIXTURES = Path("/work/shared/specs/fixtures")
REFERENCE_ZIP = FIXTURES / "reference-export-2-keys.zip"
REFERENCE_PEM = FIXTURES / "reference-export-public.pem"
IDENTITY = SigningIdentity(key_id="452", key_version="v1")


@pytest.fixture(scope="module")
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def build(keys: list[ExportKey], private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return exportfile.build_file(
        keys=keys,
        start_timestamp=1_700_000_000,
        end_timestamp=1_700_003_600,
        region="VN",
        batch_num=1,
        batch_size=1,
        identity=IDENTITY,
        private_key=private_key,
    )


def tamper(data: bytes) -> bytes:
    """Flip one bit of the first key inside export.bin and zip it with the old signature."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        export_bin = bytearray(archive.read("export.bin"))
        export_sig = archive.read("export.sig")
    first_key = exportfile.read_file(data).keys[0].key_data
    export_bin[export_bin.find(first_key) + 3] ^= 0x01
    return exportfile.write_zip(bytes(export_bin), export_sig)


def test_reference_file_reads_and_verifies() -> None:
    parsed = exportfile.read_file(REFERENCE_ZIP.read_bytes())
    assert parsed.region == "US"
    assert (parsed.start_timestamp, parsed.end_timestamp) == (1590159600, 1590246000)
    assert (parsed.batch_num, parsed.batch_size) == (1, 1)
    assert [k.key_data.hex() for k in parsed.keys] == [
        "172fc480e598490c34177604339b1543",
        "2b63053ac483238de176169e861f3dcd",
    ]
    assert [(k.rolling_start_interval_number, k.rolling_period) for k in parsed.keys] == [
        (2649980, 1),
        (2649866, 114),
    ]
    assert parsed.signature_infos[0].algorithm == exportfile.ECDSA_P256_SHA256_OID
    assert exportfile.verify(parsed, exportfile.load_public_key(REFERENCE_PEM.read_bytes()))


def test_reference_file_does_not_verify_with_another_key(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    parsed = exportfile.read_file(REFERENCE_ZIP.read_bytes())
    assert not exportfile.verify(parsed, private_key.public_key())


def test_our_file_round_trips_and_verifies(private_key: ec.EllipticCurvePrivateKey) -> None:
    keys = [ExportKey(bytes([i]) * 16, 2_900_000 - 144 * i, 144, 1, i - 3) for i in range(1, 6)]
    data = build(keys, private_key)
    parsed = exportfile.read_file(data)
    assert parsed.export_bin.startswith(b"EK Export v1    ")
    assert len(exportfile.HEADER) == 16
    assert parsed.keys == sorted(keys, key=lambda k: k.key_data)
    assert parsed.region == "VN"
    assert parsed.signature_infos == [IDENTITY]
    assert exportfile.verify(parsed, private_key.public_key())
    # the signature covers the header too: a changed header no longer verifies
    parsed.export_bin = b"EK Export v2    " + parsed.export_bin[16:]
    assert not exportfile.verify(parsed, private_key.public_key())


def test_tampered_file_does_not_verify(private_key: ec.EllipticCurvePrivateKey) -> None:
    data = build([ExportKey(bytes(16), 2_900_000)], private_key)
    assert not exportfile.verify(exportfile.read_file(tamper(data)), private_key.public_key())


@pytest.mark.parametrize(
    "data",
    [b"not a zip", exportfile.write_zip(b"EK Export v1    \xff\xff", b""),
     exportfile.write_zip(b"wrong header....", b"")],
)  # fmt: skip
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(exportfile.ExportFormatError):
        exportfile.read_file(data)


key_strategy = st.builds(
    ExportKey,
    key_data=st.binary(min_size=16, max_size=16),
    rolling_start_interval_number=st.integers(0, 2**31 - 1),
    rolling_period=st.integers(1, 144),
    report_type=st.integers(0, 5),
    days_since_onset_of_symptoms=st.one_of(st.none(), st.integers(-14, 14)),
)


@settings(max_examples=30, deadline=None)
@given(keys=st.lists(key_strategy, max_size=20, unique_by=lambda k: k.key_data))
def test_any_keys_round_trip(keys: list[ExportKey]) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    parsed = exportfile.read_file(build(keys, private))
    assert parsed.keys == sorted(keys, key=lambda k: k.key_data)
    assert exportfile.verify(parsed, private.public_key())


def run_inspect(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["exposure", "inspect", *args])
    return result.exit_code, result.output


def test_inspect_reference_file() -> None:
    code, output = run_inspect(str(REFERENCE_ZIP), "--public-key", str(REFERENCE_PEM), "--keys")
    assert code == 0, output
    assert "region: US" in output
    assert "keys: 2" in output
    assert "batch: 1 of 1" in output
    assert "172fc480e598490c34177604339b1543 start=2649980 period=1" in output
    assert "signature: valid" in output


def test_inspect_our_file_and_a_tampered_one(
    tmp_path: Path, private_key: ec.EllipticCurvePrivateKey
) -> None:
    data = build([ExportKey(bytes(range(16)), 2_900_016)], private_key)
    ours = tmp_path / "ours.zip"
    ours.write_bytes(data)
    key = tmp_path / "key.pem"
    key.write_bytes(pem(private_key))
    code, output = run_inspect(str(ours), "--public-key", str(key))
    assert code == 0, output
    assert "signature: valid" in output
    assert "keys: 1" in output
    bad = tmp_path / "tampered.zip"
    bad.write_bytes(tamper(data))
    code, output = run_inspect(str(bad), "--public-key", str(key))
    assert code == 1
    assert "signature: INVALID" in output
    code, output = run_inspect(str(REFERENCE_ZIP), "--public-key", str(key))
    assert code == 1
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"garbage")
    code, output = run_inspect(str(garbage))
    assert code == 2


def test_descriptor_matches_the_proto_file() -> None:
    """The messages built in Python have the fields export.proto documents for clients."""
    import re

    from epitrace.exposure.proto import messages

    text = (Path(messages.__file__).parent / "export.proto").read_text()
    declared: dict[str, dict[str, tuple[str, int]]] = {}
    for name, body in re.findall(r"^message (\w+) \{(.*?)^\}", text, flags=re.S | re.M):
        fields = re.findall(r"(optional|repeated) (\w+) (\w+) = (\d+)", body)
        declared[name] = {f: (label, int(n)) for label, _type, f, n in fields}
    assert set(declared) == {
        "TemporaryExposureKeyExport", "SignatureInfo", "TemporaryExposureKey",
        "TEKSignatureList", "TEKSignature",
    }  # fmt: skip
    for name, fields in declared.items():
        descriptor = getattr(messages, name).DESCRIPTOR
        built = {
            f.name: ("repeated" if f.is_repeated else "optional", f.number)
            for f in descriptor.fields
        }
        assert built == fields, name
    key = messages.TemporaryExposureKey.DESCRIPTOR
    assert key.fields_by_name["rolling_period"].default_value == 144
    assert key.fields_by_name["days_since_onset_of_symptoms"].type == key.fields[0].TYPE_SINT32
