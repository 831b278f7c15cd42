"""JSON routes of rollout oversight (organisations, rosters, teams, indicators, reports)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import File, Query, Response, UploadFile

from epitrace.errors import N_, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import access
from epitrace.rollout import organisations as org_service
from epitrace.rollout.schemas import (
    AdminIn,
    AdminOut,
    ImportOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
)
from epitrace.rollout.spreadsheets import read_upload
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, OrganisationKind, Sector
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.fields import Limit, Offset
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["rollout"])


def _check_ward(session: DbSession, code: str) -> None:
    """A helpful 422 for a mistyped ward, before the area check would answer 403."""
    if place_service.get(session, code=code) is None:
        raise InvalidInput(
            N_("The ward %(code)s does not exist."),
            params={"code": code},
            fields={"ward_code": N_("Choose a ward from the list of administrative units.")},
        )


# -- organisations -----------------------------------------------------------------------


@router.get("/organisations", response_model=OrganisationPage)
def list_organisations(
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sector: Sector | None = None,
    kind: OrganisationKind | None = None,
    ward: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> OrganisationPage:
    """Organisations the caller answers for or oversees (area, sector, own)."""
    user = access.can_list(principal)
    scope = access.org_scope(session, user, Action.ROLLOUT_ORG_READ)
    filters = {"sector": sector, "kind": kind, "ward_code": ward, "query": q}
    items = venue_service.get_organisations(
        session,
        scopes=scope.scopes,
        scope_ids=scope.ids,
        limit=limit,
        offset=offset,
        **filters,  # type: ignore[arg-type]
    )
    total = venue_service.count_organisations(
        session,
        scopes=scope.scopes,
        scope_ids=scope.ids,
        **filters,  # type: ignore[arg-type]
    )
    return OrganisationPage(items=[OrganisationOut.model_validate(o) for o in items], total=total)


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def create_organisation(
    body: OrganisationIn, session: DbSession, principal: CurrentPrincipal
) -> Organisation:
    """Register an organisation (an accountable unit) in a ward of the caller's area."""
    _check_ward(session, body.ward_code)
    user = access.create_in(session, principal, body.ward_code, body.sector)
    organisation = venue_service.create_organisation(session, **body.model_dump())
    audit.record(
        session,
        actor=user,
        action="create",
        subject_type="organisation",
        subject_id=organisation.id,
    )
    return organisation


@router.post("/organisations/import", response_model=ImportOut)
async def import_organisations(
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="XLSX or CSV (UTF-8) with a header line")],
) -> ImportOut:
    """Register or update every organisation of a list, or none: errors come back by line."""
    user = access.can_list(principal, Action.ROLLOUT_ORGANISATIONS)
    content = await read_upload(file)
    result = org_service.import_organisations(
        session, principal=user, filename=file.filename or "", content=content
    )
    audit.record(
        session,
        actor=user,
        action="import",
        subject_type="organisation",
        subject_id=file.filename or "-",
        detail={"created": result.created, "updated": result.updated},
    )
    return ImportOut(created=result.created, updated=result.updated)


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
def get_organisation(
    organisation_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Organisation:
    """One organisation's registry entry."""
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    access.organisation(session, principal, Action.ROLLOUT_ORG_READ, organisation)
    return organisation


@router.patch("/organisations/{organisation_id}", response_model=OrganisationOut)
def update_organisation(
    organisation_id: uuid.UUID,
    body: OrganisationPatch,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Organisation:
    """Change an organisation's kind, sector, ward, head or contact."""
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    changes = body.model_dump(exclude_unset=True)
    if "ward_code" in changes or "sector" in changes:
        ward_code = changes.get("ward_code") or organisation.ward_code
        _check_ward(session, ward_code)
        # moving it: the destination must be the caller's too
        access.create_in(
            session, principal, ward_code, changes.get("sector") or organisation.sector
        )
    venue_service.update_organisation(session, organisation=organisation, **changes)
    audit.record(
        session,
        actor=user,
        action="update",
        subject_type="organisation",
        subject_id=organisation.id,
        detail={"fields": sorted(changes)},
    )
    return organisation


@router.get("/organisations/{organisation_id}/admins", response_model=list[AdminOut])
def list_admins(
    organisation_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> list[AdminOut]:
    """The staff accounts that keep the organisation's roster and reports."""
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    return [
        AdminOut(user_id=a.id, username=a.username, display_name=a.display_name)
        for a in org_service.get_admins(session, organisation_id=organisation.id)
    ]


@router.post("/organisations/{organisation_id}/admins", response_model=AdminOut, status_code=201)
def add_admin(
    organisation_id: uuid.UUID, body: AdminIn, session: DbSession, principal: CurrentPrincipal
) -> AdminOut:
    """Make an org_admin account one of the organisation's admins."""
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    account = org_service.add_admin(session, organisation=organisation, username=body.username)
    audit.record(
        session,
        actor=user,
        action="add_admin",
        subject_type="organisation",
        subject_id=organisation.id,
        detail={"user_id": str(account.id)},
    )
    return AdminOut(
        user_id=account.id, username=account.username, display_name=account.display_name
    )


@router.delete("/organisations/{organisation_id}/admins/{user_id}", status_code=204)
def remove_admin(
    organisation_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Take an account off the organisation's admins."""
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    org_service.remove_admin(session, organisation=organisation, user_id=user_id)
    audit.record(
        session,
        actor=user,
        action="remove_admin",
        subject_type="organisation",
        subject_id=organisation.id,
        detail={"user_id": str(user_id)},
    )
    return Response(status_code=204)


# The other rollout modules register their routes on this router.
from epitrace.rollout import (  # noqa: E402, F401
    adhoc_routes,
    indicator_routes,
    report_routes,
    roster_routes,
)
