"""Settings read from the environment and `.env` (prefix `EPITRACE_`).

One `Settings` object per process; tests build their own with overrides.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Everything an operator can set; see docs/operations.md for each variable."""

    model_config = SettingsConfigDict(env_prefix="EPITRACE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'epitrace.sqlite3'}",
        description="SQLAlchemy URL; postgresql+psycopg://user@host/db in production.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address printed in QR codes and links (no trailing slash).",
    )
    secret_key_file: Path = Field(
        default=VAR_DIR / "secret.key",
        description="File holding the secret that signs session cookies; created if missing.",
    )
    keys_dir: Path = Field(
        default=VAR_DIR / "keys",
        description="Directory of signing keys (venue codes, passes, exports), outside the DB.",
    )
    uploads_dir: Path = Field(
        default=VAR_DIR / "uploads",
        description="Where uploaded files (feedback photos) are kept, outside the web root.",
    )
    exports_dir: Path = Field(
        default=VAR_DIR / "exports",
        description="Where published exposure key export files are written.",
    )
    sms_outbox: Path = Field(
        default=VAR_DIR / "sms-outbox.log",
        description="File the development SMS backend appends messages to.",
    )
    sms_backend: Literal["file", "console", "smpp", "http"] = Field(
        default="file",
        description="SMS transport: 'smpp' (operator SMSC), 'http' (SMS gateway), or the "
        "development backends 'file' and 'console'. See docs/alerts.md.",
    )
    time_zone: str = Field(
        default="Asia/Ho_Chi_Minh",
        description="IANA time zone of 'today', quiet hours and schedules (times stay UTC).",
    )
    # -- alerts: rules --------------------------------------------------------------------
    alerts_brand: str = Field(
        default="epitrace", max_length=11, description="Sender name (SMS brand name, max 11)."
    )
    alerts_quiet_start: time = Field(default=time(22, 0), description="Quiet hours start (local).")
    alerts_quiet_end: time = Field(default=time(6, 0), description="Quiet hours end (local).")
    alerts_max_attempts: int = Field(default=6, ge=1, le=50)
    alerts_retry_base_seconds: int = Field(default=30, ge=1, le=3600)
    alerts_lease_seconds: int = Field(default=120, ge=5, le=3600)
    alerts_batch_size: int = Field(default=100, ge=1, le=5000)
    alerts_push_fallback_seconds: int = Field(
        default=900, ge=0, description="Send an SMS when a push is not acknowledged by then."
    )
    alerts_inprocess: bool | None = Field(
        default=None,
        description="Drain the outbox in the web process; default: on with SQLite, off with "
        "PostgreSQL (run `epitrace worker` there).",
    )
    campaign_approval_threshold: int = Field(
        default=10_000, ge=0, description="Campaigns to more recipients need a second official."
    )
    # -- alerts: SMS over SMPP --------------------------------------------------------------
    smpp_host: str = Field(default="127.0.0.1")
    smpp_port: int = Field(default=2775, ge=1, le=65535)
    smpp_system_id: str = Field(default="", max_length=16)
    smpp_password: str = Field(default="", max_length=9)
    smpp_system_type: str = Field(default="", max_length=13)
    smpp_source_ton: int = Field(default=5, ge=0, le=6, description="5 = alphanumeric brand.")
    smpp_source_npi: int = Field(default=0, ge=0, le=18)
    smpp_ucs2: bool = Field(
        default=False, description="Send Vietnamese with diacritics (UCS-2, 70 chars/segment)."
    )
    smpp_window: int = Field(default=10, ge=1, le=100, description="Unanswered submits at once.")
    smpp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    sms_rate_per_second: float = Field(default=50.0, gt=0, description="Operator throughput.")
    sms_price_per_segment: int = Field(default=800, ge=0, description="Đồng per SMS segment.")
    # -- alerts: HTTP SMS gateway / OTT -----------------------------------------------------
    http_gateway_url: str = Field(default="", description="SMS gateway endpoint (POST JSON).")
    http_gateway_token: str = Field(default="")
    http_gateway_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    ott_url: str = Field(default="", description="OTT template-message endpoint (Zalo-style).")
    ott_token: str = Field(default="")
    ott_templates: dict[str, str] = Field(
        default_factory=dict, description="Our template key → the OTT provider's template id."
    )
    ott_rate_per_second: float = Field(default=20.0, gt=0)
    ott_price_per_message: int = Field(default=300, ge=0)
    # -- alerts: web push and e-mail --------------------------------------------------------
    vapid_subject: str = Field(default="mailto:admin@example.invalid")
    push_rate_per_second: float = Field(default=100.0, gt=0)
    redis_url: str = Field(
        default="",
        description="Redis for the shared rate-limit counters (e.g. redis://127.0.0.1:6379/0); "
        "'' = count them in the database.",
    )
    redis_key_prefix: str = Field(
        default="epitrace", description="Prefix of this deployment's keys in a shared Redis."
    )
    smtp_host: str = Field(default="", description="SMTP server for staff e-mail; '' = off.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = Field(default="")
    smtp_password: str = Field(default="")
    smtp_starttls: bool = Field(default=True)
    smtp_from: str = Field(default="epitrace <no-reply@example.invalid>")
    email_rate_per_second: float = Field(default=5.0, gt=0)
    retention_days: int = Field(default=21, ge=1, le=3650)
    privacy_mode: Literal["central", "escrow", "on-device"] = Field(
        default="central",
        description="Where check-in identities live: 'central' (in the database), 'escrow' "
        "(encrypted to the health department's key of the day, opened only for a case) or "
        "'on-device' (check-ins stay on the phone; hotspot notices are matched there). "
        "See docs/privacy.md.",
    )
    declaration_retention_days: int = Field(
        default=30,
        ge=14,
        le=3650,
        description="Health declarations (and their follow-up notes) are deleted this many days "
        "after they were submitted (at least 14: a declaration is valid 7 days and its lapse is "
        "reminded within 3).",
    )
    feedback_retention_days: int = Field(
        default=365,
        ge=30,
        le=3650,
        description="Citizens' feedback and its photos are deleted this many days after it was "
        "sent.",
    )
    roster_retention_days: int = Field(
        default=365,
        ge=30,
        le=3650,
        description="A person on an organisation's roster is deleted when no upload of the "
        "roster listed them (and nobody edited them) for this many days: an organisation keeps "
        "its roster by uploading it again.",
    )
    household_retention_days: int = Field(
        default=180,
        ge=30,
        le=3650,
        description="Door-to-door visits are deleted this many days after they were recorded; "
        "a household nobody visited for as long goes with them.",
    )
    privacy_show_staff_names: bool = Field(
        default=False,
        description="A citizen's access history names the staff who read their records; "
        "by default it shows their role and unit only (docs/privacy.md).",
    )
    alerts_retention_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Sent, delivered and failed messages (and each account's notices) and SMS "
        "replies are deleted this many days after they were made.",
    )
    # -- access oversight: unusual reads of named people (docs/privacy.md) ----------------
    access_flag_window_minutes: int = Field(
        default=60, ge=5, le=24 * 60, description="Length of the window reads are counted in."
    )
    access_flag_people: int = Field(
        default=50,
        ge=1,
        description="Flag an account that reads more named people than this in one window.",
    )
    access_flag_outside_people: int = Field(
        default=5,
        ge=1,
        description="Flag an account that reads this many people outside its usual units.",
    )
    access_flag_history_days: int = Field(
        default=30, ge=1, le=365, description="How far back an account's usual units are learnt."
    )
    access_flag_history_min: int = Field(
        default=20,
        ge=1,
        description="People an account must have read before its usual units are trusted.",
    )
    otp_ttl_seconds: int = Field(default=300, ge=30)
    otp_length: int = Field(default=6, ge=4, le=10)
    session_max_age_seconds: int = Field(
        default=12 * 3600, ge=60, description="A browser session ends this long after sign-in."
    )
    session_idle_seconds: int = Field(
        default=2 * 3600, ge=60, description="A browser session ends after this long unused."
    )
    api_token_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    login_rate_limit: int = Field(default=10, description="Sign-in attempts per key per window.")
    login_rate_window_seconds: int = Field(default=300, ge=1)
    # -- limits: volumes a citizen (or an anonymous caller) may write; docs/security.md -----
    limit_batch_scans_per_day: int = Field(
        default=300,
        ge=1,
        description="New offline scans accepted per account per local day (duplicates are free).",
    )
    limit_scan_max_age_hours: int = Field(
        default=72,
        ge=1,
        le=24 * 3650,
        description="How far back an offline scan may be dated (hours; never beyond retention).",
    )
    limit_feedback_per_day: int = Field(
        default=10, ge=1, description="Feedback reports per account per local day."
    )
    limit_feedback_photos_per_day: int = Field(
        default=5, ge=0, description="Feedback reports with a photo per account per local day."
    )
    limit_photo_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=64 * 1024,
        le=50 * 1024 * 1024,
        description="Largest feedback photo accepted (bytes).",
    )
    limit_declarations_for_others_per_day: int = Field(
        default=20,
        ge=1,
        description="Declarations an account makes for other people per local day.",
    )
    limit_dependents: int = Field(
        default=10, ge=0, description="Relatives (dependents) one citizen account may hold."
    )
    limit_otp_per_number_address: int = Field(
        default=3, ge=1, description="Sign-in codes per phone number from one address per window."
    )
    limit_otp_per_address: int = Field(
        default=60, ge=1, description="Sign-in codes requested from one address per window."
    )
    limit_otp_per_number: int = Field(
        default=10, ge=1, description="Sign-in codes sent to one phone number per window."
    )
    limit_otp_window_seconds: int = Field(
        default=3600, ge=60, le=86400, description="Window of the sign-in code budgets."
    )
    limit_otp_live_codes: int = Field(
        default=3, ge=1, le=10, description="Latest unexpired codes of a number valid together."
    )
    default_locale: str = Field(default="vi")
    cookie_secure: bool | None = Field(
        default=None,
        description="Force the Secure cookie flag; by default it follows base_url's scheme.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks (CIDR) of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto headers are believed; empty: none.",
    )
    environment: str = Field(default="development", description="development | production | test")
    status_policy: Literal["declaration_based", "vaccination_based"] = Field(
        default="declaration_based",
        description="Rules of the status colour: 'declaration_based' or 'vaccination_based'.",
    )
    rollout_smartphone_share: float = Field(
        default=0.75,
        gt=0,
        le=1,
        description="Share of the population expected to have a smartphone (sign-up target).",
    )
    run_jobs_in_process: bool = Field(
        default=True, description="Run scheduled jobs inside the web process (SQLite set-ups)."
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        # Written back in canonical form: uvicorn reads "10.0.0.1/8" (host bits set) as a
        # name, not a network, and would silently trust nothing.
        entries = []
        for entry in (item.strip() for item in value.split(",")):
            if not entry:
                continue
            try:
                if "/" in entry:
                    entries.append(str(ipaddress.ip_network(entry, strict=False)))
                else:
                    entries.append(str(ipaddress.ip_address(entry)))
            except ValueError:
                raise ValueError(f"not an address or network (CIDR): {entry!r}") from None
        return ",".join(entries)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as uvicorn's `forwarded_allow_ips` takes them."""
        return [item for item in self.trusted_proxies.split(",") if item]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    def secret_key(self) -> str:
        """The cookie-signing secret, generated on first use and kept in a 0600 file."""
        path = self.secret_key_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) only ever reaches this machine."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's address on its default route, or None without a network.

    Connecting a UDP socket sends nothing; it only asks the kernel which local address
    would be used, so that phones on the same network can reach a server bound to 0.0.0.0.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


def served_address(host: str, port: int) -> str:
    """The address a server bound to host:port is reached at, as a base URL."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - recognising a wildcard bind, not binding
        host = lan_address() or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
