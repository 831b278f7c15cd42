"""Settings read from the environment and `.env` (prefix `EPITRACE_`).

One `Settings` object per process; tests build their own with overrides.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    sms_backend: str = Field(default="file", description="SMS channel: 'file' or 'console'.")
    retention_days: int = Field(default=21, ge=1, le=3650)
    otp_ttl_seconds: int = Field(default=300, ge=30)
    otp_length: int = Field(default=6, ge=4, le=10)
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    api_token_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    login_rate_limit: int = Field(default=10, description="Sign-in attempts per key per window.")
    login_rate_window_seconds: int = Field(default=300, ge=1)
    default_locale: str = Field(default="vi")
    cookie_secure: bool | None = Field(
        default=None,
        description="Force the Secure cookie flag; by default it follows base_url's scheme.",
    )
    environment: str = Field(default="development", description="development | production | test")
    status_policy: Literal["declaration_based", "vaccination_based"] = Field(
        default="declaration_based",
        description="Rules of the status colour: 'declaration_based' or 'vaccination_based'.",
    )
    run_jobs_in_process: bool = Field(
        default=True, description="Run scheduled jobs inside the web process (SQLite set-ups)."
    )

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
