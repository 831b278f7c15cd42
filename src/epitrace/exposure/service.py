"""Key server rules: verification codes, key uploads, export publishing, reported exposures.

Services flush and never commit; the request, CLI command or job owns the transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import os
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.cases import service as case_service
from epitrace.db import affected
from epitrace.errors import N_, Conflict, Gone, InvalidInput, NotFound
from epitrace.exposure import exportfile, schedule
from epitrace.exposure.exportfile import ExportKey, ReportType, SigningIdentity
from epitrace.exposure.models import ExportBatch, ExposureKey, ExposureReport, VerificationCode
from epitrace.places import service as place_service
from epitrace.security.keys import Keyring, Purpose
from epitrace.security.permissions import Principal

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone
CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes; with rate limits a guess is hopeless
DEFAULT_CODE_MINUTES = 60
MAX_CODE_MINUTES = 24 * 60
MAX_KEYS_PER_UPLOAD = 30  # 14 days plus revisions and same-day keys
PUBLISH_DELAY = timedelta(hours=2)  # after a key's period ends, so it cannot be timed
REGION = "VN"
VERIFICATION_KEY_ID = "452"  # Viet Nam's mobile country code, the EN key-id convention
PADDING_MINIMUM = 200  # a file holds at least this many keys, real or random
PADDING_EXTRA = 20  # plus up to this many random keys, so the count does not leak
KEY_RETENTION_DAYS = 14  # exported files and keys leave after this
REPORT_TYPES = {
    "confirmed_test": ReportType.CONFIRMED_TEST,
    "clinical_diagnosis": ReportType.CONFIRMED_CLINICAL_DIAGNOSIS,
}


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# -- verification codes -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseDates:
    area_code: str
    test_date: date
    onset_date: date | None


def case_dates(session: Session, *, case_id: uuid.UUID) -> CaseDates:
    """The case's ward, sampling date and symptom onset (local days), from the case registry."""
    case = case_service.get_or_404(session, case_id=case_id)
    onset = case.onset_at
    return CaseDates(
        area_code=case.ward_code,
        test_date=localtime.local_date(case.sampled_at),
        onset_date=localtime.local_date(onset) if onset is not None else None,
    )


def issue_code(
    session: Session,
    *,
    issuer: Principal | None,
    area_code: str,
    report_type: int,
    test_date: date,
    onset_date: date | None = None,
    case_id: uuid.UUID | None = None,
    valid_minutes: int = DEFAULT_CODE_MINUTES,
    now: datetime | None = None,
) -> tuple[VerificationCode, str]:
    """Create a one-time code; returns the row and the code in clear (shown once)."""
    now = now or datetime.now(UTC)
    if report_type not in REPORT_TYPES.values():
        raise InvalidInput(
            N_("Choose a confirmed test or a clinical diagnosis."),
            fields={"report_type": N_("Choose one of the allowed values.")},
        )
    if place_service.get(session, code=area_code) is None:
        raise InvalidInput(
            N_("There is no administrative unit with code %(code)s."),
            params={"code": area_code},
            fields={"area_code": N_("Unknown area code.")},
        )
    today = localtime.today(now)  # officers and cases count days on the local calendar
    if test_date > today:
        raise InvalidInput(
            N_("The test date cannot be in the future."),
            fields={"test_date": N_("The test date cannot be in the future.")},
        )
    if test_date < today - timedelta(days=schedule.MAX_KEY_AGE_DAYS):
        raise InvalidInput(
            N_("The test date is more than 14 days ago; keys that old are no longer useful."),
            fields={"test_date": N_("The test date is too old.")},
        )
    if onset_date is not None and onset_date > today:
        raise InvalidInput(
            N_("The symptom onset date cannot be in the future."),
            fields={"onset_date": N_("The symptom onset date cannot be in the future.")},
        )
    if onset_date is not None and onset_date < today - timedelta(days=28):
        raise InvalidInput(
            N_("The symptom onset date is too long ago."),
            fields={"onset_date": N_("The symptom onset date is too long ago.")},
        )
    if not 5 <= valid_minutes <= MAX_CODE_MINUTES:
        raise InvalidInput(
            N_("A code is valid between 5 minutes and 24 hours."),
            fields={"valid_minutes": N_("Between 5 and 1440 minutes.")},
        )
    code = _new_code()
    row = VerificationCode(
        code_hash=hash_code(code),
        area_code=area_code,
        case_id=case_id,
        report_type=report_type,
        test_date=test_date,
        onset_date=onset_date,
        issued_by=issuer.user_id if issuer is not None else None,
        created_at=now,
        expires_at=now + timedelta(minutes=valid_minutes),
    )
    session.add(row)
    session.flush()
    return row, code


def get_codes(
    session: Session, *, area_paths: Sequence[str | None], limit: int = 50
) -> list[VerificationCode]:
    """Recent codes in the given areas (None = everywhere), newest first."""
    stmt = select(VerificationCode)
    if None not in area_paths:
        conditions = [place_service.within_area(VerificationCode.area_code, p) for p in area_paths]
        stmt = stmt.where(or_(*conditions))
    return list(session.scalars(stmt.order_by(VerificationCode.created_at.desc()).limit(limit)))


def _find_code(session: Session, *, code: str, now: datetime) -> VerificationCode:
    row = session.scalar(
        select(VerificationCode).where(VerificationCode.code_hash == hash_code(code))
    )
    if row is None:
        raise InvalidInput(
            N_("The verification code is not valid. Check it with your health officer."),
            fields={"verification_code": N_("Unknown code.")},
            code="code_invalid",
        )
    if row.used_at is not None:
        raise Conflict(N_("This verification code has already been used."), code="code_used")
    if row.expires_at <= now:
        raise Gone(
            N_("This verification code has expired. Ask your health officer for a new one."),
            code="code_expired",
        )
    return row


# -- key upload -------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadKey:
    key_data: str  # base64, as EN clients send it
    rolling_start_interval_number: int
    rolling_period: int = schedule.TEK_ROLLING_PERIOD


@dataclass(frozen=True)
class UploadResult:
    inserted: int
    report_type: int
    onset_date: date


def _decode_key(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def validate_keys(
    keys: Sequence[UploadKey], *, now: datetime
) -> tuple[list[tuple[bytes, UploadKey]], dict[str, str]]:
    """Check every key; returns the decoded keys and, per key field, the reasons it is refused."""
    errors: dict[str, str] = {}
    decoded: list[tuple[bytes, UploadKey]] = []
    now_enin = schedule.en_interval_number(now)
    oldest = schedule.rolling_start(now_enin) - schedule.MAX_KEY_AGE_DAYS * 144
    if not keys:
        errors["keys"] = N_("Send at least one key.")
    if len(keys) > MAX_KEYS_PER_UPLOAD:
        errors["keys"] = N_("Too many keys in one upload.")
    for i, key in enumerate(keys):
        prefix = f"keys.{i}"
        data = _decode_key(key.key_data)
        if data is None:
            errors[f"{prefix}.key_data"] = N_("The key is not valid base64.")
        elif len(data) != schedule.KEY_LENGTH:
            errors[f"{prefix}.key_data"] = N_("A key must be exactly 16 bytes.")
        start = key.rolling_start_interval_number
        period = key.rolling_period
        if not 1 <= period <= schedule.TEK_ROLLING_PERIOD:
            errors[f"{prefix}.rolling_period"] = N_("The rolling period must be 1 to 144.")
        if start % schedule.TEK_ROLLING_PERIOD != 0:
            errors[f"{prefix}.rolling_start_interval_number"] = N_(
                "The key must start at the beginning of a day (a multiple of 144 intervals)."
            )
        elif start > now_enin:
            errors[f"{prefix}.rolling_start_interval_number"] = N_("The key starts in the future.")
        elif start < oldest:
            errors[f"{prefix}.rolling_start_interval_number"] = N_("The key is older than 14 days.")
        if data is not None and len(data) == schedule.KEY_LENGTH:
            decoded.append((data, key))
    # no two keys may cover the same interval, and the same key may not appear twice
    spans = sorted(
        (k.rolling_start_interval_number, k.rolling_start_interval_number + k.rolling_period, i)
        for i, k in enumerate(keys)
    )
    for (_, end_a, _i), (start_b, _, i_b) in itertools.pairwise(spans):
        if start_b < end_a:
            errors.setdefault(
                f"keys.{i_b}.rolling_start_interval_number",
                N_("Two keys cover the same time."),
            )
    seen: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        data = _decode_key(key.key_data)
        if data is None:
            continue
        if data in seen:
            errors.setdefault(f"keys.{i}.key_data", N_("The same key is sent twice."))
        seen[data] = i
    return decoded, errors


def days_since_onset(*, key_start: int, onset: date) -> int:
    """Days from symptom onset (or the test) to the key's day, clamped to −14..14."""
    key_day = schedule.interval_start(key_start).date()
    return max(-14, min(14, (key_day - onset).days))


def upload_keys(
    session: Session,
    *,
    verification_code: str,
    keys: Sequence[UploadKey],
    now: datetime | None = None,
    region: str = REGION,
) -> UploadResult:
    """Store a case's keys authorised by a one-time code, or refuse the upload as a whole."""
    now = now or datetime.now(UTC)
    code = _find_code(session, code=verification_code, now=now)
    decoded, errors = validate_keys(keys, now=now)
    if errors:
        raise InvalidInput(N_("Some keys were refused; nothing was stored."), fields=errors)
    existing = set(
        session.scalars(
            select(ExposureKey.key_data).where(ExposureKey.key_data.in_([d for d, _ in decoded]))
        )
    )
    if existing:
        raise Conflict(
            N_("Some of these keys were uploaded before; nothing was stored."),
            code="keys_known",
        )
    # claim the code in one statement, so two uploads racing with it cannot both succeed
    claimed = session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == code.id, VerificationCode.used_at.is_(None))
        .values(used_at=now, keys_uploaded=len(decoded))
        .execution_options(synchronize_session="fetch")
    )
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        raise Conflict(N_("This verification code has already been used."), code="code_used")
    onset = code.onset_date or code.test_date
    for data, key in decoded:
        start = key.rolling_start_interval_number
        ends = schedule.interval_start(start + key.rolling_period)
        session.add(
            ExposureKey(
                key_data=data,
                rolling_start_interval_number=start,
                rolling_period=key.rolling_period,
                report_type=code.report_type,
                days_since_onset=days_since_onset(key_start=start, onset=onset),
                region=region,
                verification_code_id=code.id,
                uploaded_at=now,
                publish_after=ends + PUBLISH_DELAY,
            )
        )
    try:
        session.flush()
    except IntegrityError:
        # the same key arrived at the same moment in another upload
        raise Conflict(
            N_("Some of these keys were uploaded before; nothing was stored."),
            code="keys_known",
        ) from None
    return UploadResult(inserted=len(decoded), report_type=code.report_type, onset_date=onset)


# -- export publishing ------------------------------------------------------------------


def signing_identity(kid: int) -> SigningIdentity:
    return SigningIdentity(key_id=VERIFICATION_KEY_ID, key_version=f"v{kid}")


def _padding_keys(real: Sequence[ExportKey], count: int) -> list[ExportKey]:
    """Random keys that look like the real ones (same days, periods and report types)."""
    if count <= 0:
        return []
    pool = list(real)
    out = []
    for _ in range(count):
        model = secrets.choice(pool)
        out.append(
            ExportKey(
                key_data=schedule.new_tek(),
                rolling_start_interval_number=model.rolling_start_interval_number,
                rolling_period=model.rolling_period,
                report_type=model.report_type,
                days_since_onset_of_symptoms=model.days_since_onset_of_symptoms,
            )
        )
    return out


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def publish_exports(
    session: Session,
    *,
    keyring: Keyring,
    exports_dir: Path,
    now: datetime | None = None,
    max_keys_per_file: int = exportfile.MAX_KEYS_PER_FILE,
    padding_minimum: int = PADDING_MINIMUM,
    padding_extra: int = PADDING_EXTRA,
    progress: Callable[[int, int], None] | None = None,
) -> list[ExportBatch]:
    """Write one batch of export files holding every key whose period (plus delay) has ended."""
    now = now or datetime.now(UTC)
    rows = list(
        session.execute(
            select(
                ExposureKey.id,
                ExposureKey.key_data,
                ExposureKey.rolling_start_interval_number,
                ExposureKey.rolling_period,
                ExposureKey.report_type,
                ExposureKey.days_since_onset,
            )
            .where(ExposureKey.batch_id.is_(None), ExposureKey.publish_after <= now)
            .order_by(ExposureKey.id)
            # two publishers at once (two workers) must not publish a key twice
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return []
    last_end = session.scalar(select(func.max(ExportBatch.end_timestamp)))
    end_ts = int(now.timestamp())
    start_ts = min(int(last_end), end_ts) if last_end is not None else end_ts - 14 * 86400
    room = max_keys_per_file - padding_minimum - padding_extra
    if room < 1:
        raise ValueError("the file size leaves no room for real keys")
    chunks = [rows[i : i + room] for i in range(0, len(rows), room)]
    kid, private = keyring.signing_key(Purpose.EXPOSURE_EXPORT)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError("the exposure export key must be an ECDSA P-256 key")
    identity = signing_identity(kid)
    batches = []
    done = 0
    for number, chunk in enumerate(chunks, start=1):
        real = [
            ExportKey(
                key_data=bytes(r.key_data),
                rolling_start_interval_number=int(r.rolling_start_interval_number),
                rolling_period=int(r.rolling_period),
                report_type=int(r.report_type),
                days_since_onset_of_symptoms=r.days_since_onset,
            )
            for r in chunk
        ]
        extra = exportfile.random_extra(padding_extra)
        padding = _padding_keys(real, max(padding_minimum - len(real), 0) + extra)
        data = exportfile.build_file(
            keys=real + padding,
            start_timestamp=start_ts,
            end_timestamp=end_ts,
            region=REGION,
            batch_num=number,
            batch_size=len(chunks),
            identity=identity,
            private_key=private,
        )
        name = f"{start_ts}-{end_ts}-{number:05d}.zip"
        _write_atomically(exports_dir / name, data)
        batch = ExportBatch(
            name=name,
            region=REGION,
            start_timestamp=start_ts,
            end_timestamp=end_ts,
            batch_num=number,
            batch_size=len(chunks),
            key_count=len(real),
            padding_count=len(padding),
            file_size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            signing_kid=kid,
            created_at=now,
        )
        session.add(batch)
        session.flush()
        ids = [r.id for r in chunk]
        for i in range(0, len(ids), 10_000):
            session.execute(
                update(ExposureKey)
                .where(ExposureKey.id.in_(ids[i : i + 10_000]))
                .values(batch_id=batch.id)
            )
        batches.append(batch)
        done += len(chunk)
        if progress is not None:
            progress(done, len(rows))
    session.flush()
    return batches


def get_batches(session: Session, *, now: datetime | None = None) -> list[ExportBatch]:
    """Published files still within the retention period, oldest first."""
    now = now or datetime.now(UTC)
    cutoff = int((now - timedelta(days=KEY_RETENTION_DAYS)).timestamp())
    return list(
        session.scalars(
            select(ExportBatch)
            .where(ExportBatch.end_timestamp >= cutoff)
            .order_by(ExportBatch.end_timestamp, ExportBatch.batch_num)
        )
    )


def index_text(session: Session, *, now: datetime | None = None) -> str:
    return "".join(f"{b.name}\n" for b in get_batches(session, now=now))


def export_path(session: Session, *, exports_dir: Path, name: str) -> Path:
    """The file of a published batch, or NotFound (names come only from the table)."""
    batch = session.scalar(select(ExportBatch).where(ExportBatch.name == name))
    if batch is None:
        raise NotFound(N_("There is no export file with this name."))
    path = exports_dir / batch.name
    if not path.is_file():
        raise NotFound(N_("There is no export file with this name."))
    return path


def purge(
    session: Session, *, exports_dir: Path, retention_days: int, now: datetime | None = None
) -> tuple[int, int]:
    """Delete keys older than the retention period, verification codes expired before it
    (the case they name goes with them), exposures reported by devices before it and export
    files past 14 days."""
    now = now or datetime.now(UTC)
    cutoff_enin = schedule.en_interval_number(now - timedelta(days=retention_days))
    keys = session.execute(
        delete(ExposureKey).where(ExposureKey.rolling_start_interval_number < cutoff_enin)
    )
    # a code's keys started before it expired, so they have just gone; the check keeps a
    # code whose keys are still served all the same
    session.execute(
        delete(VerificationCode)
        .where(
            VerificationCode.expires_at < now - timedelta(days=retention_days),
            VerificationCode.id.not_in(select(ExposureKey.verification_code_id)),
        )
        .execution_options(synchronize_session=False)
    )
    # exposures reported by devices: counted in the dashboard for the retention period
    session.execute(
        delete(ExposureReport)
        .where(ExposureReport.created_at < now - timedelta(days=retention_days))
        .execution_options(synchronize_session=False)
    )
    cutoff_ts = int((now - timedelta(days=KEY_RETENTION_DAYS)).timestamp())
    old = list(session.scalars(select(ExportBatch).where(ExportBatch.end_timestamp < cutoff_ts)))
    for batch in old:
        session.execute(
            update(ExposureKey).where(ExposureKey.batch_id == batch.id).values(batch_id=None)
        )
        (exports_dir / batch.name).unlink(missing_ok=True)
        session.delete(batch)
    session.flush()
    return int(getattr(keys, "rowcount", 0) or 0), len(old)


# -- exposures reported by devices ------------------------------------------------------


def report_exposure(
    session: Session,
    *,
    exposure_date: date,
    score: float,
    windows: int,
    idempotency_key: str,
    ward_code: str | None = None,
    person_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[ExposureReport, bool]:
    """Count one reported exposure; the same idempotency key twice counts once."""
    now = now or datetime.now(UTC)
    # Phones count exposure days in UTC, people in local time: accept both calendars' today.
    latest = max(now.date(), localtime.today(now))
    if exposure_date > latest or exposure_date < now.date() - timedelta(
        days=schedule.MAX_KEY_AGE_DAYS + 1
    ):
        raise InvalidInput(
            N_("The exposure date must lie within the last 14 days."),
            fields={"exposure_date": N_("The exposure date must lie within the last 14 days.")},
        )
    if ward_code is not None and place_service.get(session, code=ward_code) is None:
        raise InvalidInput(
            N_("There is no administrative unit with code %(code)s."),
            params={"code": ward_code},
            fields={"ward_code": N_("Unknown area code.")},
        )
    key = hashlib.sha256(idempotency_key.encode()).hexdigest()
    existing = session.scalar(select(ExposureReport).where(ExposureReport.idempotency_key == key))
    if existing is not None:
        return existing, False
    report = ExposureReport(
        exposure_date=exposure_date,
        score=score,
        windows=windows,
        ward_code=ward_code,
        person_id=person_id,
        idempotency_key=key,
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report, True


def get_reports_for_person(session: Session, *, person_id: uuid.UUID) -> list[ExposureReport]:
    return list(
        session.scalars(
            select(ExposureReport)
            .where(ExposureReport.person_id == person_id)
            .order_by(ExposureReport.exposure_date.desc())
        )
    )


@dataclass(frozen=True)
class Counts:
    codes_issued: int
    codes_used: int
    keys_uploaded: int
    reports: int
    reports_by_day: list[tuple[date, int]]
    files_published: int


def counts(session: Session, *, area_path: str | None, since: date) -> Counts:
    """Aggregate figures for an area: codes, uploads, reported exposures per day."""
    code_area = place_service.within_area(VerificationCode.area_code, area_path)
    since_dt, _ = localtime.day_bounds(since)
    issued = session.scalar(
        select(func.count()).where(code_area, VerificationCode.created_at >= since_dt)
    )
    used = session.scalar(
        select(func.count()).where(
            code_area,
            VerificationCode.created_at >= since_dt,
            VerificationCode.used_at.is_not(None),
        )
    )
    keys = session.scalar(
        select(func.coalesce(func.sum(VerificationCode.keys_uploaded), 0)).where(
            code_area, VerificationCode.created_at >= since_dt
        )
    )
    report_area = (
        ExposureReport.ward_code.is_not(None)
        & place_service.within_area(ExposureReport.ward_code, area_path)
        if area_path is not None
        else place_service.within_area(ExposureReport.ward_code, None)
    )
    by_day = [
        (d, int(n))
        for d, n in session.execute(
            select(ExposureReport.exposure_date, func.count())
            .where(report_area, ExposureReport.exposure_date >= since)
            .group_by(ExposureReport.exposure_date)
            .order_by(ExposureReport.exposure_date)
        )
    ]
    files = session.scalar(select(func.count()).select_from(ExportBatch))
    return Counts(
        codes_issued=int(issued or 0),
        codes_used=int(used or 0),
        keys_uploaded=int(keys or 0),
        reports=sum(n for _, n in by_day),
        reports_by_day=by_day,
        files_published=int(files or 0),
    )


# -- erasure on request (mydata) ------------------------------------------------------------


def erase_people(session: Session, *, person_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """Delete the exposure reports these people attached to their account."""
    if not person_ids:
        return {}
    rows = affected(
        session.execute(delete(ExposureReport).where(ExposureReport.person_id.in_(person_ids)))
    )
    return {"exposure_report": rows}
