"""Roster pages and API: the organisation admin's list with names, everyone else's counts.

The routes are registered on the domain's routers (`api.router`, `pages.router`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.db import utcnow
from epitrace.errors import N_, InvalidInput
from epitrace.rollout import access, rosters, templates_xlsx, ui
from epitrace.rollout.api import router as api
from epitrace.rollout.models import RosterMember
from epitrace.rollout.pages import router as pages
from epitrace.rollout.schemas import (
    CoverageOut,
    MemberCoverageOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    RosterImportOut,
    RosterOut,
)
from epitrace.rollout.spreadsheets import FileRejected, read_upload
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation
from epitrace.web import i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.templating import render

Days = Annotated[int, Query(ge=1, le=rosters.MAX_DAYS)]
COLUMN_LABELS = {
    "full_name": N_("Full name"),
    "phone": N_("Phone"),
    "id_number": N_("ID number"),
    "department": N_("Department / class"),
    "kind": N_("Kind"),
}


def _roster_org(
    session: Session, principal: Principal | None, organisation_id: uuid.UUID
) -> tuple[Principal, Organisation]:
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    return access.organisation(
        session, principal, Action.ROLLOUT_ROSTER, organisation
    ), organisation


def audit_roster_read(
    session: Session, user: Principal, organisation: Organisation, *, count: int, how: str
) -> None:
    """Every read of a roster with names goes to the audit log."""
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="roster",
        subject_id=organisation.id,
        purpose="roster coverage",
        detail={"people": count, "via": how},
    )


def coverage_out(c: rosters.Coverage, days: int) -> CoverageOut:
    return CoverageOut(
        days=days,
        members=c.members,
        signed_up=c.signed_up,
        declared=c.declared,
        checked_in=c.checked_in,
        relatives=c.relatives,
        relatives_declared=c.relatives_declared,
        signed_up_pct=c.share("signed_up"),
        declared_pct=c.share("declared"),
        checked_in_pct=c.share("checked_in"),
    )


# -- API ---------------------------------------------------------------------------------


@api.get("/organisations/{organisation_id}/coverage", response_model=CoverageOut)
def get_coverage(
    organisation_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    days: Days = rosters.DEFAULT_DAYS,
) -> CoverageOut:
    """How many people of the roster took up the suite: counts and percentages, no names."""
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    access.organisation(session, principal, Action.ROLLOUT_ORG_READ, organisation)
    summary = rosters.coverage(session, organisation=organisation, days=days, now=utcnow())
    return coverage_out(summary, days)


@api.get("/organisations/{organisation_id}/roster", response_model=RosterOut)
def get_roster(
    organisation_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    days: Days = rosters.DEFAULT_DAYS,
) -> RosterOut:
    """The roster with names and each person's take-up (the organisation's admins; audited)."""
    user, organisation = _roster_org(session, principal, organisation_id)
    rows = rosters.coverage_by_person(session, organisation=organisation, days=days, now=utcnow())
    audit_roster_read(session, user, organisation, count=len(rows), how="api")
    return RosterOut(
        coverage=coverage_out(rosters.summarise(rows), days),
        items=[
            MemberCoverageOut(
                **MemberOut.model_validate(r.member).model_dump(),
                signed_up=r.signed_up,
                declared=r.declared,
                checked_in=r.checked_in,
                relatives=r.relatives,
                relatives_declared=r.relatives_declared,
            )
            for r in rows
        ],
    )


@api.post("/organisations/{organisation_id}/roster/import", response_model=RosterImportOut)
async def import_roster(
    organisation_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="XLSX or CSV (UTF-8) with a header line")],
    replace: Annotated[bool, Query(description="the file is the whole roster")] = True,
) -> RosterImportOut:
    """Load the roster from a list, whole or not at all (errors come back by line)."""
    user, organisation = _roster_org(session, principal, organisation_id)
    content = await read_upload(file)
    result = rosters.import_roster(
        session,
        organisation=organisation,
        filename=file.filename or "",
        content=content,
        replace=replace,
    )
    _audit_change(session, user, organisation, "import", result.__dict__)
    return RosterImportOut(**result.__dict__)


@api.post("/organisations/{organisation_id}/roster", response_model=MemberOut, status_code=201)
def add_member(
    organisation_id: uuid.UUID, body: MemberIn, session: DbSession, principal: CurrentPrincipal
) -> RosterMember:
    """Add one person to the roster."""
    user, organisation = _roster_org(session, principal, organisation_id)
    member = rosters.add_member(session, organisation=organisation, values=body.model_dump())
    _audit_change(session, user, organisation, "add_member", {"member_id": str(member.id)})
    return member


@api.patch("/organisations/{organisation_id}/roster/{member_id}", response_model=MemberOut)
def update_member(
    organisation_id: uuid.UUID,
    member_id: uuid.UUID,
    body: MemberPatch,
    session: DbSession,
    principal: CurrentPrincipal,
) -> RosterMember:
    """Correct a person's name, phone, ID number, department or kind."""
    user, organisation = _roster_org(session, principal, organisation_id)
    member = rosters.get_member(session, organisation=organisation, member_id=member_id)
    values = {k: v or "" for k, v in body.model_dump(exclude_unset=True).items()}
    rosters.update_member(session, organisation=organisation, member=member, values=values)
    _audit_change(session, user, organisation, "update_member", {"member_id": str(member.id)})
    return member


@api.delete("/organisations/{organisation_id}/roster/{member_id}", status_code=204)
def remove_member(
    organisation_id: uuid.UUID,
    member_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    """Take a person off the roster."""
    user, organisation = _roster_org(session, principal, organisation_id)
    rosters.remove_member(session, organisation=organisation, member_id=member_id)
    _audit_change(session, user, organisation, "remove_member", {"member_id": str(member_id)})
    return Response(status_code=204)


def _audit_change(
    session: Session, user: Principal, organisation: Organisation, action: str, detail: Any
) -> None:
    audit.record(
        session,
        actor=user,
        action=action[:20],
        subject_type="roster",
        subject_id=organisation.id,
        detail=detail,
    )


# -- pages -------------------------------------------------------------------------------


def _roster_context(
    session: Session,
    user: Principal,
    organisation: Organisation,
    days: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    rows = rosters.coverage_by_person(session, organisation=organisation, days=days, now=utcnow())
    audit_roster_read(session, user, organisation, count=len(rows), how="page")
    return {
        "organisation": organisation,
        "rows": rows,
        "coverage": rosters.summarise(rows),
        "days": days,
        "kinds": ui.roster_kind_labels(),
        "display_phone": phone_numbers.display,
        "columns": {k: i18n.gettext(v) for k, v in COLUMN_LABELS.items()},
        "problems": [],
        "import_message": "",
        "form": form or {},
        "errors": errors or {},
        "member_action": f"/rollout/organisations/{organisation.id}/roster/add",
    }


@pages.get("/rollout/organisations/{organisation_id}/roster", response_class=HTMLResponse)
def roster_page(
    organisation_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    days: Days = rosters.DEFAULT_DAYS,
) -> Response:
    user, organisation = _roster_org(session, principal, organisation_id)
    ensure_csrf(request)
    return render(
        request, "rollout/roster.html", _roster_context(session, user, organisation, days)
    )


@pages.get("/rollout/organisations/{organisation_id}/roster/template.xlsx")
def roster_template(
    organisation_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _roster_org(session, principal, organisation_id)
    return templates_xlsx.roster_template()


@pages.post("/rollout/organisations/{organisation_id}/roster/import", response_class=HTMLResponse)
async def roster_import(
    organisation_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile | None, File()] = None,
    replace: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user, organisation = _roster_org(session, principal, organisation_id)
    try:
        if file is None or not file.filename:
            raise InvalidInput(N_("Choose a file to upload."), fields={"file": N_("Required.")})
        content = await read_upload(file)
        result = rosters.import_roster(
            session,
            organisation=organisation,
            filename=file.filename,
            content=content,
            replace=replace == "1",
        )
    except InvalidInput as exc:
        session.rollback()
        organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
        context = _roster_context(session, user, organisation, rosters.DEFAULT_DAYS)
        context["import_message"] = i18n.gettext(exc.message, **exc.params)
        if isinstance(exc, FileRejected):
            context["problems"] = exc.problems
        return render(request, "rollout/roster.html", context, status_code=422)
    _audit_change(session, user, organisation, "import", result.__dict__)
    flash(
        request,
        i18n.gettext(
            "The roster was loaded: %(added)s added, %(updated)s updated, %(removed)s removed.",
            added=result.added,
            updated=result.updated,
            removed=result.removed,
        ),
    )
    return RedirectResponse(f"/rollout/organisations/{organisation.id}/roster", status_code=303)


MemberText = Annotated[str, Form(max_length=200)]


@pages.post("/rollout/organisations/{organisation_id}/roster/add", response_class=HTMLResponse)
def roster_add(
    organisation_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    full_name: MemberText = "",
    phone: MemberText = "",
    id_number: MemberText = "",
    department: MemberText = "",
    kind: MemberText = "",
) -> Response:
    user, organisation = _roster_org(session, principal, organisation_id)
    form = {
        "full_name": full_name,
        "phone": phone,
        "id_number": id_number,
        "department": department,
        "kind": kind,
    }
    try:
        member = rosters.add_member(session, organisation=organisation, values=form)
    except InvalidInput as exc:
        session.rollback()
        organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _roster_context(
            session, user, organisation, rosters.DEFAULT_DAYS, form=form, errors=errors
        )
        return render(request, "rollout/roster.html", context, status_code=422)
    _audit_change(session, user, organisation, "add_member", {"member_id": str(member.id)})
    flash(request, i18n.gettext("%(name)s was added to the roster.", name=member.full_name))
    return RedirectResponse(f"/rollout/organisations/{organisation.id}/roster", status_code=303)


def _member_context(
    organisation: Organisation,
    member: RosterMember,
    form: dict[str, str],
    errors: dict[str, str],
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "member": member,
        "form": form,
        "errors": errors,
        "kinds": ui.roster_kind_labels(),
        "member_action": f"/rollout/organisations/{organisation.id}/roster/{member.id}",
    }


@pages.get(
    "/rollout/organisations/{organisation_id}/roster/{member_id}", response_class=HTMLResponse
)
def member_page(
    organisation_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    user, organisation = _roster_org(session, principal, organisation_id)
    member = rosters.get_member(session, organisation=organisation, member_id=member_id)
    ensure_csrf(request)
    audit.record(
        session, actor=user, action="read", subject_type="roster_member", subject_id=member.id
    )
    form = {
        "full_name": member.full_name,
        "phone": phone_numbers.display(member.phone),
        "id_number": member.id_number or "",
        "department": member.department,
        "kind": member.kind.value,
    }
    return render(request, "rollout/member.html", _member_context(organisation, member, form, {}))


@pages.post(
    "/rollout/organisations/{organisation_id}/roster/{member_id}", response_class=HTMLResponse
)
def member_save(
    organisation_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    full_name: MemberText = "",
    phone: MemberText = "",
    id_number: MemberText = "",
    department: MemberText = "",
    kind: MemberText = "",
) -> Response:
    user, organisation = _roster_org(session, principal, organisation_id)
    member = rosters.get_member(session, organisation=organisation, member_id=member_id)
    form = {
        "full_name": full_name,
        "phone": phone,
        "id_number": id_number,
        "department": department,
        "kind": kind,
    }
    try:
        rosters.update_member(session, organisation=organisation, member=member, values=form)
    except InvalidInput as exc:
        session.rollback()
        organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
        member = rosters.get_member(session, organisation=organisation, member_id=member_id)
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _member_context(organisation, member, form, errors)
        return render(request, "rollout/member.html", context, status_code=422)
    _audit_change(session, user, organisation, "update_member", {"member_id": str(member.id)})
    flash(request, i18n.gettext("Saved."))
    return RedirectResponse(f"/rollout/organisations/{organisation.id}/roster", status_code=303)


@pages.post("/rollout/organisations/{organisation_id}/roster/{member_id}/remove")
def member_remove(
    organisation_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    user, organisation = _roster_org(session, principal, organisation_id)
    rosters.remove_member(session, organisation=organisation, member_id=member_id)
    _audit_change(session, user, organisation, "remove_member", {"member_id": str(member_id)})
    flash(request, i18n.gettext("The person was removed from the roster."))
    return RedirectResponse(f"/rollout/organisations/{organisation.id}/roster", status_code=303)
