"""JSON routes of citizen feedback (phản ánh)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import File, Form, UploadFile
from fastapi.responses import FileResponse

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.feedback import access
from epitrace.feedback import flows as feedback_flows
from epitrace.feedback import service as feedback_service
from epitrace.feedback.models import Feedback
from epitrace.feedback.schemas import AnswerIn, FeedbackOut
from epitrace.security import audit
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession
from epitrace.web.openapi import file_responses
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1/feedback", tags=["feedback"])


def feedback_out(feedback: Feedback) -> FeedbackOut:
    return FeedbackOut(
        id=feedback.id,
        category=feedback.category,
        ward_code=feedback.ward_code,
        text=feedback.text,
        has_photo=feedback.photo_file is not None,
        status=feedback.status,
        answer=feedback.answer,
        answered_by_label=feedback.answered_by_label,
        answered_at=feedback.answered_at,
        closed_at=feedback.closed_at,
        created_at=feedback.created_at,
    )


async def read_upload(
    photo: UploadFile | None, *, max_bytes: int = feedback_service.MAX_PHOTO_BYTES
) -> feedback_service.Photo | None:
    """The uploaded photo, read up to one byte past the limit, then checked by content."""
    if photo is None or not photo.filename:
        return None
    data = await photo.read(max_bytes + 1)
    if not data:
        return None
    return feedback_service.check_photo(data, max_bytes=max_bytes)


def limits_of(settings: Settings) -> feedback_service.Limits:
    return feedback_service.Limits(
        per_day=settings.limit_feedback_per_day,
        photos_per_day=settings.limit_feedback_photos_per_day,
    )


@router.post("", status_code=201, response_model=FeedbackOut)
async def send_feedback(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    text: Annotated[str, Form(max_length=feedback_service.MAX_TEXT)] = "",
    category: Annotated[str, Form(max_length=30)] = "",
    ward_code: Annotated[str, Form(max_length=16)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> FeedbackOut:
    """Send a report to the officials of a ward (multipart form; the photo is optional)."""
    person_id = access.citizen(principal)
    checked = await read_upload(photo, max_bytes=settings.limit_photo_bytes)
    feedback = feedback_service.create(
        session,
        person_id=person_id,
        category=category,
        ward_code=ward_code,
        text=text,
        photo=checked,
        uploads_dir=settings.uploads_dir,
        limits=limits_of(settings),
    )
    return feedback_out(feedback)


@router.get("/mine", response_model=list[FeedbackOut])
def my_feedback(session: DbSession, principal: CurrentPrincipal) -> list[FeedbackOut]:
    """One's own reports with the officials' answers."""
    person_id = access.citizen(principal)
    return [feedback_out(f) for f in feedback_service.get_mine(session, person_id=person_id)]


@router.get("", response_model=list[FeedbackOut])
def area_feedback(
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None = None,
    status: Literal["open", "answered", "closed"] | None = None,
) -> list[FeedbackOut]:
    """Reports about the wards of an area, for its officials."""
    user, _, path = access.area(session, principal, area)
    rows = feedback_service.get_for_area(session, area_path=path, status=status)
    feedback_service.audit_list_read(session, actor=user, rows=rows)
    return [feedback_out(f) for f, _ in rows]


@router.post("/{feedback_id}/answer", response_model=FeedbackOut)
def answer_feedback(
    feedback_id: uuid.UUID, data: AnswerIn, session: DbSession, principal: CurrentPrincipal
) -> FeedbackOut:
    """Answer a report and optionally close it (audited)."""
    access.handler(principal)
    feedback = feedback_service.get(session, feedback_id=feedback_id)
    user = access.handle(session, principal, feedback)
    feedback_flows.answer_feedback(
        session, actor=user, feedback=feedback, text=data.answer, close=data.close, now=utcnow()
    )
    return feedback_out(feedback)


@router.get("/{feedback_id}/photo", responses=file_responses(*feedback_service.PHOTO_MEDIA_TYPES))
def feedback_photo(
    feedback_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> FileResponse:
    """The report's photo, for its sender and the ward's officials (officials' reads logged)."""
    if principal is None:
        access.citizen(principal)  # asks to sign in
    feedback = feedback_service.get(session, feedback_id=feedback_id)
    user = access.read_photo(session, principal, feedback)
    path = feedback_service.photo_path(feedback, settings.uploads_dir)
    if not user.is_citizen:
        audit.record(
            session,
            actor=user,
            action="read",
            subject_type="feedback",
            subject_id=feedback.id,
            purpose="feedback.photo",
        )
    return FileResponse(
        path,
        media_type=feedback.photo_type or "application/octet-stream",
        headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"},
    )
