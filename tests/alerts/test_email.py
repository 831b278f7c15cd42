"""The SMTP adapter against a local SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from epitrace.alerts.channels import Outgoing, Refused, Retry
from epitrace.alerts.channels.email import SmtpAdapter
from epitrace.alerts.models import Channel, Status
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts.outbox import Clock, queue, row, worker


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()
        self.busy: set[str] = set()
        self.encrypted: list[bool] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        if address in self.busy:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.encrypted.append(session.ssl is not None)
        return "250 Message accepted"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"mailer",
        b"s3cret",
    )
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def _settings(settings: Settings, port: int, **more: Any) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_user": "mailer",
            "smtp_password": "s3cret",
            "smtp_from": "Sở Y tế <no-reply@syt.example.vn>",
            "http_gateway_timeout_seconds": 5.0,
            **more,
        }
    )


def _message(email: str = "canbo@example.vn") -> Outgoing:
    return Outgoing(
        key=uuid.uuid4(),
        channel=Channel.EMAIL,
        template="notice",
        kind="notice",
        locale="vi",
        title="Báo cáo đến hạn",
        body="Phường Bến Thành chưa nộp báo cáo tuần.",
        sms="",
        url="https://epitrace.example.vn/rollout",
        email=email,
    )


def test_mail_is_sent_with_its_key_as_message_id(
    smtp_server: tuple[Mailbox, int], settings: Settings
) -> None:
    mailbox, port = smtp_server
    adapter = SmtpAdapter(_settings(settings, port))
    message = _message()
    accepted = adapter.send(message)
    adapter.send(_message("other@example.vn"))  # same connection
    adapter.close()
    assert accepted.provider_ref == str(message.key)
    [mail, _second] = mailbox.messages
    assert mail["Message-ID"] == f"<{message.key}@syt.example.vn>"
    assert mail["To"] == "canbo@example.vn"
    assert str(mail["Subject"]) == "Báo cáo đến hạn" or "=?utf-8?" in str(mail["Subject"])
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Phường Bến Thành" in text
    assert "https://epitrace.example.vn/rollout" in text


def test_refused_and_busy_recipients(smtp_server: tuple[Mailbox, int], settings: Settings) -> None:
    mailbox, port = smtp_server
    mailbox.refuse.add("gone@example.vn")
    mailbox.busy.add("full@example.vn")
    adapter = SmtpAdapter(_settings(settings, port))
    with pytest.raises(Refused, match="SMTP 550"):
        adapter.send(_message("gone@example.vn"))
    with pytest.raises(Retry, match="SMTP 451"):
        adapter.send(_message("full@example.vn"))
    adapter.send(_message())  # the connection is still good
    adapter.close()
    assert len(mailbox.messages) == 1


def test_wrong_password_and_no_server(smtp_server: tuple[Mailbox, int], settings: Settings) -> None:
    _mailbox, port = smtp_server
    adapter = SmtpAdapter(
        _settings(settings, port, smtp_password="wrong", http_gateway_timeout_seconds=1.0)
    )
    with pytest.raises(Retry) as raised:
        adapter.send(_message())
    assert raised.value.pause_seconds > 0 or "smtp" in raised.value.reason
    adapter.close()
    down = SmtpAdapter(_settings(settings, _free_port()))
    with pytest.raises(Retry, match="smtp"):
        down.send(_message())
    down.close()


def test_worker_sends_queued_mail(
    db: Database, settings: Settings, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    [key] = queue(db, 1, channel=Channel.EMAIL)
    adapter = SmtpAdapter(_settings(settings, port))
    worker(db, settings, [adapter], Clock()).run_once()
    adapter.close()
    assert row(db, key).status == Status.SENT
    [mail] = mailbox.messages
    assert mail["Message-ID"] == f"<{key}@syt.example.vn>"
    assert str(mail["Subject"]) == "Test message" or mail["Subject"]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own issuer) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Mailbox, int, Path]]:
    """A server that offers login only after STARTTLS, as a real submission port does."""
    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=True,
        require_starttls=True,
        tls_context=context,
    )
    controller.start()
    try:
        yield mailbox, port, cert_path
    finally:
        controller.stop()


def test_starttls_then_login(
    tls_server: tuple[Mailbox, int, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox, port, cert_path = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the server's certificate is trusted
    adapter = SmtpAdapter(_settings(settings, port, smtp_starttls=True))
    adapter.send(_message())
    adapter.close()
    [mail] = mailbox.messages
    assert mail["To"] == "canbo@example.vn"
    assert mailbox.encrypted == [True]


def test_untrusted_certificate_or_no_starttls_pauses_the_channel(
    tls_server: tuple[Mailbox, int, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings that do not fit the server are the operator's to fix: the channel pauses
    instead of spending every message's attempts."""
    mailbox, port, cert_path = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path.with_name("missing.pem")))
    untrusted = SmtpAdapter(_settings(settings, port, smtp_starttls=True))
    with pytest.raises(Retry, match="certificate") as raised:
        untrusted.send(_message())
    assert raised.value.pause_seconds > 0
    untrusted.close()
    plain = SmtpAdapter(_settings(settings, port, smtp_starttls=False))
    with pytest.raises(Retry, match="security settings") as raised:
        plain.send(_message())
    assert raised.value.pause_seconds > 0
    plain.close()
    assert mailbox.messages == []
