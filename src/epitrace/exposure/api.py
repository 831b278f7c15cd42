"""JSON API of the key server: codes, key upload, export files, public key, reports, counts."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from epitrace import localtime
from epitrace.errors import N_, InvalidInput
from epitrace.exposure import access, schemas
from epitrace.exposure import service as exposure_service
from epitrace.exposure.service import REPORT_TYPES, UploadKey
from epitrace.places import service as place_service
from epitrace.security import audit, ratelimit
from epitrace.security.keys import Purpose
from epitrace.security.permissions import public
from epitrace.web import i18n
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession, client_ip
from epitrace.web.fields import Days
from epitrace.web.openapi import file_responses
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1/exposure", tags=["exposure"])

UPLOAD_LIMIT = 20  # uploads per address per hour: a phone uploads once, a ward office a few
REPORT_LIMIT = 30
ADVICE = N_(
    "You may have been near someone with COVID-19. Watch for symptoms for 14 days, wear a "
    "mask, avoid crowded places and contact your ward health station for a test."
)
REPORT_NAMES = {v: k for k, v in REPORT_TYPES.items()}


def resolve_code_request(
    session: DbSession, body: schemas.CodeRequest
) -> tuple[str, date, date | None]:
    """Area and dates of a code: from the case registry when a case is named, else the body."""
    if body.case_id is not None:
        dates = exposure_service.case_dates(session, case_id=body.case_id)
        return dates.area_code, dates.test_date, dates.onset_date
    if not body.area_code:
        raise InvalidInput(
            N_("Give the area of the case."), fields={"area_code": N_("This field is required.")}
        )
    if body.test_date is None:
        raise InvalidInput(
            N_("Give the date of the positive test."),
            fields={"test_date": N_("This field is required.")},
        )
    return body.area_code, body.test_date, body.onset_date


@router.post("/verification-codes", status_code=201, response_model=schemas.CodeOut)
def issue_verification_code(
    body: schemas.CodeRequest, session: DbSession, principal: CurrentPrincipal
) -> schemas.CodeOut:
    """Issue a one-time code that lets a confirmed case upload their exposure keys."""
    access.can_list_codes(principal)  # the role first, so a case id reveals nothing to others
    area_code, test_date, onset_date = resolve_code_request(session, body)
    user = access.can_issue_codes(session, principal, area_code=area_code)
    row, code = exposure_service.issue_code(
        session,
        issuer=user,
        area_code=area_code,
        report_type=REPORT_TYPES[body.report_type],
        test_date=test_date,
        onset_date=onset_date,
        case_id=body.case_id,
        valid_minutes=body.valid_minutes,
    )
    audit.record(
        session,
        actor=user,
        action="exposure.code.issue",
        subject_type="exposure_verification_code",
        subject_id=row.id,
        purpose="exposure notification",
        detail={"case_id": str(body.case_id) if body.case_id else None},
    )
    return schemas.CodeOut(
        code=code,
        expires_at=row.expires_at,
        area_code=row.area_code,
        case_id=row.case_id,
        report_type=body.report_type,
        test_date=row.test_date,
        onset_date=row.onset_date,
    )


@router.post("/keys", status_code=201, response_model=schemas.KeyUploadOut)
@public
def upload_keys(
    body: schemas.KeyUpload, request: Request, session: DbSession
) -> schemas.KeyUploadOut:
    """Upload a confirmed case's temporary exposure keys with a verification code."""
    ratelimit.hit(
        session,
        key=f"exposure-upload:{client_ip(request)}",
        limit=UPLOAD_LIMIT,
        window_seconds=3600,
    )
    result = exposure_service.upload_keys(
        session,
        verification_code=body.verification_code,
        keys=[
            UploadKey(k.key_data, k.rolling_start_interval_number, k.rolling_period)
            for k in body.keys
        ],
    )
    return schemas.KeyUploadOut(
        inserted=result.inserted,
        report_type=REPORT_NAMES.get(result.report_type, "unknown"),
        message=i18n.gettext(
            N_("Thank you. Your keys will warn the people you met, without revealing who you are.")
        ),
    )


@router.get("/exports/index.txt", response_class=PlainTextResponse)
@public
def export_index(session: DbSession) -> PlainTextResponse:
    """The names of the published export files of the last 14 days, oldest first."""
    return PlainTextResponse(
        exposure_service.index_text(session), headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/exports/{name}.zip", responses=file_responses("application/zip"))
@public
def export_file(name: str, session: DbSession, settings: AppSettings) -> FileResponse:
    """One export file (export.bin + export.sig, zipped)."""
    path = exposure_service.export_path(
        session, exports_dir=settings.exports_dir, name=f"{name}.zip"
    )
    return FileResponse(
        path,
        media_type="application/zip",
        filename=path.name,
        headers={"Cache-Control": "public, max-age=86400, immutable"},
    )


@router.get("/public-key.pem", responses=file_responses("application/x-pem-file"))
@public
def public_key(keyring: AppKeyring) -> Response:
    """The ECDSA P-256 public key that verifies the export files."""
    return Response(
        keyring.public_pem(Purpose.EXPOSURE_EXPORT), media_type="application/x-pem-file"
    )


@router.post("/reports", status_code=202, response_model=schemas.ReportOut)
@public
def report_exposure(
    body: schemas.ReportIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> schemas.ReportOut:
    """Report an exposure the device found (optional, with consent; anonymous by default)."""
    if not body.consent:
        raise InvalidInput(
            N_("A report is only sent with your consent."),
            fields={"consent": N_("Tick the box to agree.")},
        )
    ratelimit.hit(
        session,
        key=f"exposure-report:{client_ip(request)}",
        limit=REPORT_LIMIT,
        window_seconds=3600,
    )
    person_id = None
    if body.attach_to_account and principal is not None and principal.is_citizen:
        person_id = principal.person_id
    report, created = exposure_service.report_exposure(
        session,
        exposure_date=body.exposure_date,
        score=body.score,
        windows=body.windows,
        ward_code=body.ward_code,
        person_id=person_id,
        idempotency_key=body.idempotency_key,
    )
    return schemas.ReportOut(id=report.id, created=created, advice=i18n.gettext(ADVICE))


@router.get("/counts", response_model=schemas.CountsOut)
def exposure_counts(
    session: DbSession, principal: CurrentPrincipal, area: str | None = None, days: Days = 14
) -> schemas.CountsOut:
    """Codes issued and used, keys uploaded and exposures reported in an area."""
    _, area_code = access.can_see_counts(session, principal, area_code=area)
    since = localtime.today() - timedelta(days=max(1, min(days, 90)))
    path = None
    if area_code is not None:
        path = place_service.path_of(session, code=area_code)
    figures = exposure_service.counts(session, area_path=path, since=since)
    return schemas.CountsOut(
        area_code=area_code,
        since=since,
        codes_issued=figures.codes_issued,
        codes_used=figures.codes_used,
        keys_uploaded=figures.keys_uploaded,
        reports=figures.reports,
        reports_by_day=[schemas.DayCount(day=d, reports=n) for d, n in figures.reports_by_day],
        files_published=figures.files_published,
    )
