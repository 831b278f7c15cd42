"""The VAPID key pair that signs web pushes (RFC 8292): one P-256 key, kept outside the database.

`keys_dir/vapid/private.pem` (mode 0600) is made on first use — by `epitrace keys vapid`, the
first `GET /api/v1/push/key` or the first push, whichever comes first; two processes starting
at once end up with the same key. Browsers subscribe with the public key; rotating it
(`epitrace keys vapid --rotate`) makes every existing subscription unusable until the
browser's page subscribes again (the settings page does so when it sees a new key).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DIRECTORY = "vapid"
FILENAME = "private.pem"


def key_path(keys_dir: Path) -> Path:
    return Path(keys_dir) / DIRECTORY / FILENAME


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey, *, replace: bool) -> None:
    """Write the key to a 0600 file next to `path`, then move it into place at once."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_pem(key))
    try:
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if another process made one meanwhile
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def load(keys_dir: Path) -> ec.EllipticCurvePrivateKey:
    """The private key, made on first use."""
    path = key_path(keys_dir)
    if not path.exists():
        _write_private(path, ec.generate_private_key(ec.SECP256R1()), replace=False)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold a P-256 key")
    return key


def public_key(keys_dir: Path) -> str:
    """The public key as browsers take it (`applicationServerKey`): base64url, uncompressed."""
    point = (
        load(keys_dir)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url(point)


def rotate(keys_dir: Path) -> str:
    """Replace the key pair; returns the new public key."""
    _write_private(key_path(keys_dir), ec.generate_private_key(ec.SECP256R1()), replace=True)
    return public_key(keys_dir)
