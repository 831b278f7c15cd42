"""HTML pages: the citizen's report form and answers, the officials' inbox."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.db import utcnow
from epitrace.declarations.pages import ward_chain
from epitrace.errors import DomainError
from epitrace.feedback import access
from epitrace.feedback import flows as feedback_flows
from epitrace.feedback import service as feedback_service
from epitrace.feedback.api import limits_of, read_upload
from epitrace.places import service as place_service
from epitrace.web import i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


def _labels(mapping: dict[str, str]) -> dict[str, str]:
    return {key: i18n.gettext(msgid) for key, msgid in mapping.items()}


def _citizen_context(
    session: Session, person_id: uuid.UUID, ward_code: str | None = None
) -> dict[str, Any]:
    person = account_service.get_person(session, person_id=person_id)
    mine = feedback_service.get_mine(session, person_id=person_id)
    codes = {f.ward_code for f in mine}
    chosen = ward_code if ward_code is not None else person.ward_code or ""
    return {
        "mine": mine,
        "levels": ward_chain(session, chosen),
        "ward_code": chosen,
        "ward_names": {
            code: unit.name for code in codes if (unit := place_service.get(session, code=code))
        },
        "categories": _labels(feedback_service.CATEGORIES),
        "statuses": _labels(feedback_service.STATUSES),
    }


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> Response:
    person_id = access.citizen(principal)
    context = _citizen_context(session, person_id)
    return render(
        request,
        "feedback/citizen.html",
        {**context, "errors": {}, "v": {}, "photo_mb": _megabytes(settings.limit_photo_bytes)},
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}"


@router.post("/feedback", response_class=HTMLResponse)
async def feedback_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    text: Annotated[str, Form(max_length=feedback_service.MAX_TEXT)] = "",
    category: Annotated[str, Form(max_length=30)] = "",
    ward_code: Annotated[str, Form(max_length=16)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    person_id = access.citizen(principal)
    try:
        checked = await read_upload(photo, max_bytes=settings.limit_photo_bytes)
        feedback_service.create(
            session,
            person_id=person_id,
            category=category,
            ward_code=ward_code,
            text=text,
            photo=checked,
            uploads_dir=settings.uploads_dir,
            limits=limits_of(settings),
        )
    except DomainError as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _citizen_context(session, person_id, ward_code)
        values = {"text": text, "category": category}
        response = render(
            request,
            "feedback/citizen.html",
            {
                **context,
                "errors": errors,
                "v": values,
                "photo_mb": _megabytes(settings.limit_photo_bytes),
            },
            status_code=exc.status_code,
        )
        response.headers.update(exc.headers())
        return response
    request.session.setdefault("flash", []).append(
        ["info", i18n.gettext("Your report was sent to the ward's officials.")]
    )
    return RedirectResponse("/feedback", status_code=303)


@router.get("/feedback/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    area: str | None = None,
    status: str | None = None,
) -> Response:
    user, code, path = access.area(session, principal, area)
    chosen = status if status in feedback_service.STATUSES else None
    rows = feedback_service.get_for_area(session, area_path=path, status=chosen)
    feedback_service.audit_list_read(session, actor=user, rows=rows)
    return render(
        request,
        "feedback/inbox.html",
        {
            "rows": rows,
            "area_unit": place_service.get(session, code=code) if code else None,
            "area": code or "",
            "status": chosen or "",
            "categories": _labels(feedback_service.CATEGORIES),
            "statuses": _labels(feedback_service.STATUSES),
        },
    )


@router.post("/feedback/{feedback_id}/answer")
def answer_submit(
    feedback_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    answer: Annotated[str, Form(max_length=feedback_service.MAX_TEXT)] = "",
    close: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    access.handler(principal)
    feedback = feedback_service.get(session, feedback_id=feedback_id)
    user = access.handle(session, principal, feedback)
    try:
        feedback_flows.answer_feedback(
            session,
            actor=user,
            feedback=feedback,
            text=answer,
            close=close == "yes",
            now=utcnow(),
        )
        message, level = i18n.gettext("The answer was saved."), "info"
    except DomainError as exc:
        session.rollback()
        message, level = i18n.gettext(exc.message, **exc.params), "error"
    request.session.setdefault("flash", []).append([level, message])
    return RedirectResponse("/feedback/inbox", status_code=303)
