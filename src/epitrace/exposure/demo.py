"""Demo exposure data: two cases who uploaded keys and a few exposures reported by phones."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.exposure import service as exposure_service
from epitrace.exposure.device import Device
from epitrace.exposure.exportfile import ReportType
from epitrace.exposure.models import VerificationCode
from epitrace.exposure.service import UploadKey


def seed(session: Session, context: Any) -> None:
    """Create the demo data once (only when no verification code exists yet)."""
    if session.scalar(select(func.count()).select_from(VerificationCode)):
        return
    now = datetime.now(UTC)
    for index, ward in enumerate(context.wards[:2]):
        phone = Device()
        for day in range(6):
            phone.payload(now - timedelta(days=day))
        _, code = exposure_service.issue_code(
            session,
            issuer=None,
            area_code=ward,
            report_type=ReportType.CONFIRMED_TEST,
            test_date=now.date() - timedelta(days=index),
            onset_date=now.date() - timedelta(days=2 + index),
        )
        exposure_service.upload_keys(
            session,
            verification_code=code,
            keys=[
                UploadKey(
                    base64.b64encode(k.key_data).decode(),
                    k.rolling_start_interval_number,
                    k.rolling_period,
                )
                for k in phone.keys_for_upload(now)
            ],
            now=now,
        )
    exposure_service.issue_code(
        session,
        issuer=None,
        area_code=context.wards[0],
        report_type=ReportType.CONFIRMED_TEST,
        test_date=now.date(),
    )
    for number in range(5):
        exposure_service.report_exposure(
            session,
            exposure_date=now.date() - timedelta(days=1 + number % 3),
            score=900.0 + 150 * number,
            windows=2 + number,
            ward_code=context.wards[number % len(context.wards)],
            idempotency_key=f"demo-report-{number}",
            now=now,
        )
