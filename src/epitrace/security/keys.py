"""Signing keys kept on disk, outside the database, in a keyring per purpose.

Layout of `keys_dir`: `keyring.json` (which key ids exist per purpose, which one signs, which
are still trusted) and `<purpose>/<kid>.pem` private keys (mode 0600). Rotating adds a new
signing key and keeps the old ones trusted, so codes already printed keep working until an
operator retires their key.
"""

from __future__ import annotations

import copy
import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


class Purpose(enum.StrEnum):
    VENUE = "venue"  # venue QR codes (Ed25519)
    PASS = "pass"  # noqa: S105 - personal QR passes (Ed25519), not a password
    EXPOSURE_EXPORT = "exposure-export"  # GAEN export files (ECDSA P-256)
    HOTSPOT_NOTICE = "hotspot-notice"  # public hotspot notices of on-device mode (Ed25519)


ALGORITHMS = {
    Purpose.VENUE: "ed25519",
    Purpose.PASS: "ed25519",
    Purpose.EXPOSURE_EXPORT: "ecdsa-p256",
    Purpose.HOTSPOT_NOTICE: "ed25519",
}


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"  # signs new tokens (one per purpose)
    TRUSTED = "trusted"  # verifies, no longer signs
    RETIRED = "retired"  # neither; tokens it signed are refused


class KeyringError(Exception):
    pass


@dataclass(frozen=True)
class KeyInfo:
    purpose: Purpose
    kid: int
    status: KeyStatus
    algorithm: str
    created_at: str


class Keyring:
    """Reads and changes the key files of one keys directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[tuple[Purpose, int], PrivateKey] = {}
        self._index_cache: tuple[int, dict[str, dict[str, dict[str, str]]]] | None = None
        self._writes = 0  # changes made through this object (the file's time may not move)

    @property
    def _index_path(self) -> Path:
        return self.directory / "keyring.json"

    def _read_index(self) -> dict[str, dict[str, dict[str, str]]]:
        try:
            mtime = self._index_path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._index_cache is not None and self._index_cache[0] == mtime:
            return copy.deepcopy(self._index_cache[1])  # a copy callers may change
        data: dict[str, dict[str, dict[str, str]]] = json.loads(self._index_path.read_text())
        self._index_cache = (mtime, data)
        return copy.deepcopy(data)

    def _write_index(self, index: dict[str, dict[str, dict[str, str]]]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self._index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(index, indent=2, sort_keys=True))
        tmp.replace(self._index_path)
        self._index_cache = None
        self._writes += 1

    def version(self) -> tuple[int, ...] | None:
        """Changes whenever the keyring changes, here or in another process (a key created,
        retired or pruned; every change writes a new index file): what was verified under
        one version holds while it stays the same. None without a keyring."""
        try:
            stat = self._index_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, self._writes

    def list(self, purpose: Purpose | None = None) -> list[KeyInfo]:
        out = []
        for p, keys in sorted(self._read_index().items()):
            if purpose is not None and p != purpose.value:
                continue
            for kid, meta in sorted(keys.items(), key=lambda kv: int(kv[0])):
                out.append(
                    KeyInfo(
                        purpose=Purpose(p),
                        kid=int(kid),
                        status=KeyStatus(meta["status"]),
                        algorithm=meta["algorithm"],
                        created_at=meta["created_at"],
                    )
                )
        return out

    def create(self, purpose: Purpose) -> KeyInfo:
        """Create a new signing key; the previous active key stays trusted."""
        index = self._read_index()
        keys = index.setdefault(purpose.value, {})
        kid = max((int(k) for k in keys), default=0) + 1
        if kid > 255:
            raise KeyringError("key ids are one byte; retire and prune old keys first")
        algorithm = ALGORITHMS[purpose]
        private: PrivateKey
        if algorithm == "ed25519":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        folder = self.directory / purpose.value
        folder.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        path = folder / f"{kid}.pem"
        path.write_bytes(pem)
        path.chmod(0o600)
        for meta in keys.values():
            if meta["status"] == KeyStatus.ACTIVE:
                meta["status"] = KeyStatus.TRUSTED.value
        now = datetime.now(UTC).isoformat(timespec="seconds")
        keys[str(kid)] = {
            "status": KeyStatus.ACTIVE.value,
            "algorithm": algorithm,
            "created_at": now,
        }
        self._write_index(index)
        return KeyInfo(purpose, kid, KeyStatus.ACTIVE, algorithm, now)

    def set_status(self, purpose: Purpose, kid: int, status: KeyStatus) -> None:
        index = self._read_index()
        keys = index.get(purpose.value, {})
        if str(kid) not in keys:
            raise KeyringError(f"no {purpose.value} key {kid}")
        if status is KeyStatus.ACTIVE:
            for meta in keys.values():
                if meta["status"] == KeyStatus.ACTIVE:
                    meta["status"] = KeyStatus.TRUSTED.value
        keys[str(kid)]["status"] = status.value
        self._write_index(index)
        self._cache.pop((purpose, kid), None)

    def ensure(self, purpose: Purpose) -> KeyInfo:
        """The active key of a purpose, created on first use."""
        active = [k for k in self.list(purpose) if k.status is KeyStatus.ACTIVE]
        return active[0] if active else self.create(purpose)

    def _load(self, purpose: Purpose, kid: int) -> PrivateKey:
        cached = self._cache.get((purpose, kid))
        if cached is not None:
            return cached
        pem = (self.directory / purpose.value / f"{kid}.pem").read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyringError("unsupported key type")
        self._cache[(purpose, kid)] = key
        return key

    def signing_key(self, purpose: Purpose) -> tuple[int, PrivateKey]:
        info = self.ensure(purpose)
        return info.kid, self._load(purpose, info.kid)

    def verifying_key(self, purpose: Purpose, kid: int) -> PublicKey | None:
        """The public key for `kid` if it is active or trusted, else None."""
        meta = self._read_index().get(purpose.value, {}).get(str(kid))
        if meta is None or meta["status"] == KeyStatus.RETIRED:
            return None
        return self._load(purpose, kid).public_key()

    def public_pem(self, purpose: Purpose, kid: int | None = None) -> bytes:
        if kid is None:
            kid = self.ensure(purpose).kid
        return (
            self._load(purpose, kid)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
