"""E-mail over SMTP (stdlib): STARTTLS and login as configured, one connection kept open.

`Message-ID` is made from the outbox key, so a copy sent twice is recognisable, but SMTP
servers do not drop copies: a row whose worker died mid-send ends in dead letter.
Answers: 5xx → `Refused`; 4xx, timeouts and dropped connections → `Retry`; a refused login
pauses the channel (the configuration is wrong, not the messages).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry
from epitrace.alerts.models import Channel
from epitrace.config import Settings

LOGIN_PAUSE = 300.0


class SmtpAdapter:
    channel = Channel.EMAIL
    accepts_idempotency_key = False

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("no SMTP host configured")
        self.settings = settings
        self.rate_per_second = settings.email_rate_per_second
        self.sender = settings.smtp_from
        domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2]
        self.domain = domain or "epitrace.invalid"
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.http_gateway_timeout_seconds)
        try:
            smtp.ehlo()
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except BaseException:
            smtp.close()  # a refused handshake or login leaves no socket behind
            raise
        return smtp

    def message(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.email or ""
        mail["Subject"] = message.title
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.key}@{self.domain}>"
        mail["Content-Language"] = message.locale
        body = message.body if not message.url else f"{message.body}\n\n{message.url}"
        mail.set_content(body)
        return mail

    def send(self, message: Outgoing) -> Accepted:
        if not message.email:
            raise Refused("no e-mail address")
        mail = self.message(message)
        with self._lock:
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(mail)
            except smtplib.SMTPAuthenticationError as exc:
                # our configuration, not the message: pause the channel until it is fixed
                self._drop()
                reason = f"SMTP login refused: {exc.smtp_code}"
                raise Retry(reason, after_seconds=LOGIN_PAUSE, pause_seconds=LOGIN_PAUSE) from None
            except (ssl.SSLError, smtplib.SMTPNotSupportedError) as exc:
                # an untrusted certificate, or a server that wants STARTTLS (or offers no
                # login) where the settings say otherwise: configuration again
                self._drop()
                reason = f"SMTP security settings refused: {exc}"
                raise Retry(reason, after_seconds=LOGIN_PAUSE, pause_seconds=LOGIN_PAUSE) from None
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset_if_broken()
                code, text = next(iter(exc.recipients.values()))
                raise _by_code(code, text) from None
            except smtplib.SMTPResponseException as exc:
                self._reset_if_broken()
                raise _by_code(exc.smtp_code, exc.smtp_error) from None
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                raise Retry(f"smtp: {exc}") from None
        return Accepted(provider_ref=str(message.key))

    def _reset_if_broken(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
                self._drop()


def _by_code(code: int, text: bytes | str) -> Retry | Refused:
    reason = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    reason = f"SMTP {code}: {reason}"
    return Refused(reason) if code >= 500 else Retry(reason)
