"""Pages: find a person (name, phone, ID number, ward) and merge two records of one human."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.errors import N_, Conflict, InvalidInput
from epitrace.people import access, flows, record
from epitrace.people import service as people_service
from epitrace.people.schemas import CandidateOut
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.web import i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=100)] = "",
    ward: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    ward = place_service.resolve(session, text=ward, field="ward", leaves_only=False) or ""
    user = access.search_people(principal, session, ward or None)
    ensure_csrf(request)
    error = ""
    found: list[CandidateOut] = []
    try:
        results = people_service.search(
            session,
            area_paths=user.area_paths(Action.PEOPLE_SEARCH),
            query=people_service.parse_query(q),
            ward_code=ward or None,
        )
    except InvalidInput as exc:
        error = i18n.gettext(exc.message)
        results = []
    if q or ward:
        audit.record(
            session,
            actor=user,
            action="read",
            subject_type="person",
            subject_id="*",
            purpose="person search",
            detail={"ward": ward or None, "ids": [str(c.person.id) for c in results]},
        )
        found = access.candidates_out(user, session, Action.PEOPLE_SEARCH, results)
    return render(
        request,
        "people/search.html",
        {
            "q": q,
            "ward": ward,
            "found": found,
            "error": error,
            "searched": bool(q or ward),
            "can_register": user.can(Action.CASES_MANAGE),
            "can_merge": user.can(Action.PEOPLE_MERGE),
            "can_read_record": user.can(Action.PEOPLE_RECORD),
        },
    )


@router.post("/people/merge")
def people_merge(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keep_id: Annotated[str, Form(max_length=40)] = "",
    merge_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Merge the second record into the first; the form comes from the search results."""
    try:
        keep_uuid, merge_uuid = uuid.UUID(keep_id), uuid.UUID(merge_id)
    except ValueError:
        raise InvalidInput(N_("Choose two different records.")) from None
    keep = people_service.current_person_or_404(session, person_id=keep_uuid)
    other = people_service.get_person_or_404(session, person_id=merge_uuid)
    user = access.merge_people(principal, session, keep, other)
    try:
        outcome = flows.merge_people(session, keep=keep, merge=other)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        flash(request, i18n.gettext(exc.message))
        return RedirectResponse("/people", status_code=303)
    for subject, role in ((keep.id, "kept"), (other.id, "merged")):
        audit.record(
            session,
            actor=user,
            action="merge",
            subject_type="person",
            subject_id=subject,
            purpose="identity merge",
            detail={"role": role, "kept": str(keep.id), "merged": str(other.id), **outcome.moved},
        )
    flash(request, i18n.gettext("The two records were merged into one."))
    return RedirectResponse(f"/people?q={keep.phone or ''}", status_code=303)


def _record_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    person_id: uuid.UUID,
    purpose: str | None,
    note: str,
    asked: bool,
) -> HTMLResponse:
    """The record when an active case or a valid purpose allows it, else the purpose form."""
    ensure_csrf(request)
    try:
        found = record.read(
            session, settings, principal=principal, person_id=person_id, purpose=purpose, note=note
        )
    except (InvalidInput, record.PurposeRequired) as exc:
        if not asked and isinstance(exc, record.PurposeRequired):
            errors: dict[str, str] = {}
            message = ""
        else:
            errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
            message = i18n.gettext(exc.message, **exc.params)
        person = people_service.get_person_or_404(session, person_id=person_id)
        return render(
            request,
            "people/purpose.html",
            {
                "person_id": person_id,
                "initials": access.initials(person.full_name),
                "purposes": [(k, i18n.gettext(v)) for k, v in record.PURPOSES.items()],
                "purpose": purpose or "",
                "note": note,
                "errors": errors,
                "message": message,
            },
            status_code=200 if not asked else 422,
        )
    return render(
        request,
        "people/record.html",
        {
            "r": found,
            "context_label": i18n.gettext(record.CASE_CONTEXTS[found.context])
            if found.context
            else "",
            "purpose_label": i18n.gettext(record.PURPOSES.get(found.purpose, found.purpose)),
        },
    )


@router.get("/people/{person_id}/record", response_class=HTMLResponse)
def record_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    person_id: uuid.UUID,
) -> HTMLResponse:
    """A named person's health record; outside an active case it first asks for a purpose."""
    return _record_page(request, session, settings, principal, person_id, None, "", asked=False)


@router.post("/people/{person_id}/record", response_class=HTMLResponse)
def record_with_purpose(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    person_id: uuid.UUID,
    purpose: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=record.NOTE_MAX)] = "",
) -> HTMLResponse:
    """The purpose form's answer: the record, read for that purpose (audited)."""
    return _record_page(request, session, settings, principal, person_id, purpose, note, asked=True)
