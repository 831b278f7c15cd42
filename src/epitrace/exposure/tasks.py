"""Scheduled jobs of the key server: publish export files, delete old keys and files."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.exposure import service as exposure_service
from epitrace.exposure.exportfile import ExportKey, ReportType
from epitrace.exposure.models import ExportBatch
from epitrace.exposure.service import UploadKey
from epitrace.jobs import Job
from epitrace.security.keys import Keyring, Purpose

PUBLISH_EVERY_SECONDS = 3600  # one batch an hour, as EN clients download a few times a day
PURGE_EVERY_SECONDS = 86400


def publish_exports(
    database: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ExportBatch]:
    """The hourly job: one transaction that writes the files and marks the keys exported."""
    with database.session_scope() as session:
        return exposure_service.publish_exports(
            session,
            keyring=Keyring(settings.keys_dir),
            exports_dir=settings.exports_dir,
            now=now,
            progress=progress,
        )


def purge(
    database: Database, settings: Settings, *, now: datetime | None = None
) -> tuple[int, int]:
    """The daily job: keys past the retention period and files past 14 days."""
    with database.session_scope() as session:
        return exposure_service.purge(
            session,
            exports_dir=settings.exports_dir,
            retention_days=settings.retention_days,
            now=now,
        )


def publish_job(session: Session, settings: Settings) -> int:
    """Scheduled: publish the keys that are ready; returns how many files were written."""
    batches = exposure_service.publish_exports(
        session, keyring=Keyring(settings.keys_dir), exports_dir=settings.exports_dir
    )
    return len(batches)


def purge_job(session: Session, settings: Settings) -> str:
    """Scheduled: delete old keys and export files."""
    keys, files = exposure_service.purge(
        session, exports_dir=settings.exports_dir, retention_days=settings.retention_days
    )
    return f"{keys} keys, {files} files"


JOBS = [
    Job("exposure.publish_exports", PUBLISH_EVERY_SECONDS, publish_job),
    Job("exposure.purge", PURGE_EVERY_SECONDS, purge_job),
]


class ServiceKeyServer:
    """The key server as a simulation sees it, through the service functions and a database."""

    def __init__(self, database: Database, settings: Settings, *, area_code: str) -> None:
        self.database = database
        self.settings = settings
        self.area_code = area_code

    def issue_code(self, *, test_date: date, onset_date: date | None) -> str:
        with self.database.session_scope() as session:
            _, code = exposure_service.issue_code(
                session,
                issuer=None,
                area_code=self.area_code,
                report_type=ReportType.CONFIRMED_TEST,
                test_date=test_date,
                onset_date=onset_date,
            )
        return code

    def upload(self, code: str, keys: list[ExportKey]) -> None:
        with self.database.session_scope() as session:
            exposure_service.upload_keys(
                session,
                verification_code=code,
                keys=[
                    UploadKey(
                        base64.b64encode(k.key_data).decode(),
                        k.rolling_start_interval_number,
                        k.rolling_period,
                    )
                    for k in keys
                ],
            )

    def publish(self, now: datetime) -> None:
        publish_exports(self.database, self.settings, now=now)

    def exports(self) -> list[bytes]:
        with self.database.session_scope() as session:
            names = [b.name for b in exposure_service.get_batches(session)]
        return [Path(self.settings.exports_dir / name).read_bytes() for name in names]

    def public_key(self) -> ec.EllipticCurvePublicKey:
        pem = Keyring(self.settings.keys_dir).public_pem(Purpose.EXPOSURE_EXPORT)
        key = load_pem_public_key(pem)
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise TypeError("the exposure export key is not an ECDSA key")
        return key
