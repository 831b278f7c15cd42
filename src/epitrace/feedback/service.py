"""Feedback (phản ánh): citizens report, the ward's officials answer and close.

Photos are checked by content (Pillow), limited in size and kept under `uploads_dir`, outside
the web root; only the sender and the officials of the ward can fetch them.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.db import affected, utcnow
from epitrace.errors import N_, Conflict, InvalidInput, NotFound, PayloadTooLarge
from epitrace.feedback.models import Feedback
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security import audit, ratelimit
from epitrace.security.permissions import Principal

CATEGORIES: dict[str, str] = {
    "gathering": N_("Crowds or gatherings"),
    "quarantine_breach": N_("Quarantine breach"),
    "suspected_case": N_("Someone with symptoms"),
    "arrival": N_("People arriving from an outbreak area"),
    "venue": N_("A venue not following the rules"),
    "support": N_("Need for support (food, medicine)"),
    "other": N_("Other"),
}
STATUSES: dict[str, str] = {
    "open": N_("Waiting for an answer"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}
MAX_TEXT = 4000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
PHOTO_MEDIA_TYPES = tuple(media_type for media_type, _ext in PHOTO_TYPES.values())
FOLDER = "feedback"


@dataclass(frozen=True)
class Photo:
    data: bytes
    media_type: str
    extension: str


def check_photo(data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES) -> Photo:
    """Accept only a JPEG, PNG or WebP picture (by its content, not its name) under the limit."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            N_("The photo is larger than %(mb)s MB."),
            params={"mb": f"{max_bytes / (1024 * 1024):.3g}"},
            fields={"photo": N_("The photo is too large.")},
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                width, height = image.size
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise InvalidInput(
            N_("The file is not a picture we accept (JPEG, PNG or WebP)."),
            fields={"photo": N_("Send a JPEG, PNG or WebP picture.")},
        ) from exc
    if kind not in PHOTO_TYPES or width * height > MAX_PHOTO_PIXELS:
        raise InvalidInput(
            N_("The file is not a picture we accept (JPEG, PNG or WebP)."),
            fields={"photo": N_("Send a JPEG, PNG or WebP picture.")},
        )
    media_type, extension = PHOTO_TYPES[kind]
    return Photo(data, media_type, extension)


def create(
    session: Session,
    *,
    person_id: uuid.UUID,
    category: str,
    ward_code: str,
    text: str,
    photo: Photo | None,
    uploads_dir: Path,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> Feedback:
    """Store a report (and its photo), within the sender's daily quotas (429 beyond them)."""
    if limits is not None:
        _check_quotas(
            session, person_id=person_id, limits=limits, with_photo=photo is not None, now=now
        )
    fields: dict[str, str] = {}
    body = text.strip()
    if not body:
        fields["text"] = N_("Describe what you are reporting.")
    elif len(body) > MAX_TEXT:
        fields["text"] = N_("The text is too long.")
    if category not in CATEGORIES:
        fields["category"] = N_("Choose a category.")
    ward = place_service.get(session, code=ward_code) if ward_code else None
    if ward is None or place_service.get_children(session, code=ward.code):
        fields["ward_code"] = N_("Choose the ward the report is about.")
    if fields:
        raise InvalidInput(N_("Some fields are not valid."), fields=fields)
    feedback = Feedback(person_id=person_id, category=category, ward_code=ward_code, text=body)
    if photo is not None:
        name = f"{uuid.uuid4().hex}.{photo.extension}"
        folder = uploads_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(photo.data)
        feedback.photo_file = name
        feedback.photo_type = photo.media_type
    session.add(feedback)
    session.flush()
    return feedback


@dataclass(frozen=True)
class Limits:
    """Reports and reports with a photo per account per local day (EPITRACE_LIMIT_FEEDBACK_*)."""

    per_day: int
    photos_per_day: int


def _check_quotas(
    session: Session,
    *,
    person_id: uuid.UUID,
    limits: Limits,
    with_photo: bool,
    now: datetime | None,
) -> None:
    now = now or utcnow()
    start, _end = localtime.day_bounds(localtime.today(now))
    today = (Feedback.person_id == person_id, Feedback.created_at >= start)
    sent = session.scalar(select(func.count()).select_from(Feedback).where(*today)) or 0
    ratelimit.check_daily_quota(
        used=sent,
        limit=limits.per_day,
        message=N_("You have sent %(limit)s reports today, the most for one day."),
        now=now,
    )
    if with_photo:
        photos = (
            session.scalar(
                select(func.count())
                .select_from(Feedback)
                .where(*today, Feedback.photo_file.is_not(None))
            )
            or 0
        )
        ratelimit.check_daily_quota(
            used=photos,
            limit=limits.photos_per_day,
            message=N_(
                "You have sent %(limit)s photos today, the most for one day; "
                "send the report without a photo."
            ),
            now=now,
            fields={"photo": N_("No more photos today.")},
        )


def get(session: Session, *, feedback_id: uuid.UUID) -> Feedback:
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound(N_("This report does not exist."))
    return feedback


def get_mine(session: Session, *, person_id: uuid.UUID) -> list[Feedback]:
    stmt = select(Feedback).where(Feedback.person_id == person_id)
    return list(session.scalars(stmt.order_by(Feedback.created_at.desc())))


def get_for_area(
    session: Session, *, area_path: str | None, status: str | None = None, limit: int = 500
) -> list[tuple[Feedback, str]]:
    """Reports about the wards of an area, with the ward's name, oldest open first."""
    stmt = (
        select(Feedback, AdminUnit.name)
        .join(AdminUnit, AdminUnit.code == Feedback.ward_code)
        .where(place_service.within_area(Feedback.ward_code, area_path))
    )
    if status:
        stmt = stmt.where(Feedback.status == status)
    stmt = stmt.order_by(Feedback.status.desc(), Feedback.created_at).limit(limit)
    return [(f, name) for f, name in session.execute(stmt).all()]


def audit_list_read(
    session: Session, *, actor: Principal, rows: list[tuple[Feedback, str]]
) -> None:
    """Reports carry their sender's words (and maybe their identity): each listed one is a read."""
    audit.record_many(
        session,
        actor=actor,
        action="read",
        subject_type="feedback",
        subject_ids=[f.id for f, _ in rows],
        purpose="feedback.handle",
    )


def answer(
    session: Session,
    *,
    actor: Principal,
    feedback: Feedback,
    text: str,
    close: bool,
    now: datetime,
) -> Feedback:
    body = text.strip()
    if feedback.status == "closed":
        raise Conflict(N_("This report is already closed."))
    if not body and not feedback.answer:
        raise InvalidInput(
            N_("Write an answer before closing the report."),
            fields={"answer": N_("Write an answer.")},
        )
    if body:
        feedback.answer = body
        feedback.answered_by_id = actor.user_id
        feedback.answered_by_label = actor.display_name
        feedback.answered_at = now
        feedback.status = "answered"
    if close:
        feedback.status = "closed"
        feedback.closed_at = now
    audit.record(
        session,
        actor=actor,
        action="update",
        subject_type="feedback",
        subject_id=feedback.id,
        purpose="feedback.answer",
        detail={"status": feedback.status},
    )
    session.flush()
    return feedback


def photo_path(feedback: Feedback, uploads_dir: Path) -> Path:
    if not feedback.photo_file:
        raise NotFound(N_("This report has no photo."))
    path = uploads_dir / FOLDER / feedback.photo_file
    if not path.is_file():
        raise NotFound(N_("This report has no photo."))
    return path


def open_summary(
    session: Session, *, area_paths: Sequence[str | None]
) -> tuple[int, datetime | None]:
    """How many reports of these areas wait for an answer, and since when the oldest waits."""
    stmt = select(func.count(), func.min(Feedback.created_at)).where(
        Feedback.status == "open", place_service.within_areas(Feedback.ward_code, area_paths)
    )
    count, oldest = session.execute(stmt).one()
    return int(count or 0), oldest


# -- erasure on request (mydata) ------------------------------------------------------------


def erase_people(
    session: Session, *, person_ids: Sequence[uuid.UUID], uploads_dir: Path
) -> dict[str, int]:
    """Delete these people's reports and their photo files."""
    if not person_ids:
        return {}
    photos = session.scalars(
        select(Feedback).where(Feedback.person_id.in_(person_ids), Feedback.photo_file.is_not(None))
    ).all()
    files = 0
    for feedback in photos:
        path = photo_path(feedback, uploads_dir)
        if path.is_file():
            path.unlink()
            files += 1
    rows = affected(session.execute(delete(Feedback).where(Feedback.person_id.in_(person_ids))))
    return {"feedback": rows, "feedback_photo_files": files}
