"""The SMTP adapter against a local SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

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
