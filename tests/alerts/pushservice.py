"""A push service for the tests (an HTTP server on localhost) and a browser's subscription keys.

The server records each request as pywebpush made it and answers with the status set for its
path (201 by default). `Browser` holds what a browser keeps: a P-256 key pair and an auth
secret; it checks the VAPID signature with `cryptography` and decrypts the body with
`http_ece`, as the push service and the browser would.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Browser:
    """One browser's subscription secrets, made as a browser makes them."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        payload: dict[str, Any] = json.loads(plain)
        return payload


def verify_vapid(authorization: str) -> tuple[str, dict[str, Any]]:
    """Check the `vapid t=<JWT>,k=<public key>` header's ES256 signature; (key, claims)."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    values = dict(item.split("=", 1) for item in params.split(","))
    token, key = values["t"], values["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    assert header["alg"] == "ES256"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    signature = unb64url(signature_b64)
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims: dict[str, Any] = json.loads(unb64url(claims_b64))
    return key, claims


class PushService:
    def __init__(self) -> None:
        self.requests: list[PushRequest] = []
        self.answers: dict[str, tuple[int, dict[str, str]]] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                service.requests.append(
                    PushRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers = service.answers.get(self.path, (201, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status == 201:
                    self.send_header("Location", f"{self.path}/messages/{len(service.requests)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def answer(self, name: str, status: int, **headers: str) -> None:
        self.answers[f"/push/{name}"] = (status, headers)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
