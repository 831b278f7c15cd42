"""Community teams: the ward's team pages and API, the team member's visit page (which queues
visits on the phone when offline), and coverage of households per team.

The routes are registered on the domain's routers (`api.router`, `pages.router`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.errors import N_, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import access, ui
from epitrace.rollout import teams as team_service
from epitrace.rollout.api import router as api
from epitrace.rollout.models import CommunityTeam, HouseholdVisit, TeamMember
from epitrace.rollout.pages import router as pages
from epitrace.rollout.schemas import (
    AssignedHouseholdOut,
    CoverageOfTeamsOut,
    HouseholdCreate,
    HouseholdOut,
    StreetIn,
    StreetOut,
    TeamCoverageOut,
    TeamDetailOut,
    TeamIn,
    TeamMemberIn,
    TeamMemberOut,
    TeamOut,
    VisitCreate,
    VisitOut,
)
from epitrace.rollout.spreadsheets import FileRejected, read_upload
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.web import i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.templating import render

HOUSEHOLD_LABELS = {
    "address": N_("Address"),
    "street": N_("Street"),
    "head_name": N_("Head of household"),
    "members": N_("Number of people"),
}
UnitCode = Annotated[str | None, Query(max_length=16, description="An administrative unit.")]


def _check_ward(session: Session, code: str) -> None:
    """A helpful 422 for a mistyped ward, before the area check would answer 403."""
    unit = place_service.get(session, code=code)
    if unit is None or place_service.get_children(session, code=code):
        raise InvalidInput(
            N_("The ward %(code)s does not exist."),
            params={"code": code},
            fields={"ward_code": N_("Choose a ward from the list of administrative units.")},
        )


def _team(
    session: Session, principal: Principal | None, team_id: uuid.UUID
) -> tuple[Principal, CommunityTeam]:
    team = team_service.get_team(session, team_id=team_id)
    return access.team(session, principal, team), team


def _audit(
    session: Session, user: Principal, team: CommunityTeam, action: str, detail: dict[str, Any]
) -> None:
    audit.record(
        session,
        actor=user,
        action=action,
        subject_type="community_team",
        subject_id=team.id,
        detail=detail,
    )


def _coverage_out(row: team_service.TeamCoverage) -> TeamCoverageOut:
    return TeamCoverageOut(
        team_id=row.team_id,
        name=row.name,
        ward_code=row.ward_code,
        households=row.households,
        visited=row.visited,
        visited_pct=row.visited_pct,
        leaflets=row.leaflets,
        people=row.people,
        smartphones=row.smartphones,
        installed=row.installed,
        installed_pct=row.installed_pct,
        helped=row.helped,
    )


def _coverage_area(
    session: Session, principal: Principal | None, unit: str | None
) -> tuple[str, str | None]:
    """(unit code, area path) of the coverage asked for: the caller's own area by default."""
    user = require(principal, Action.ROLLOUT_READ)
    code = unit or access.home_area(user, Action.ROLLOUT_READ)
    if code is None:
        return "", None
    if place_service.get(session, code=code) is None:
        raise InvalidInput(
            N_("The unit %(code)s does not exist."),
            params={"code": code},
            fields={"unit": N_("Choose a unit from the list of administrative units.")},
        )
    access.area(session, user, Action.ROLLOUT_READ, code)
    return code, place_service.path_of(session, code=code)


def _visit_values(body: VisitCreate) -> team_service.VisitIn:
    return team_service.VisitIn(**body.model_dump())


# -- API: teams --------------------------------------------------------------------------


@api.get("/rollout/teams", response_model=list[TeamOut])
def list_teams(session: DbSession, principal: CurrentPrincipal) -> list[CommunityTeam]:
    """The community teams of the wards in the caller's area."""
    user = require(principal, Action.ROLLOUT_TEAMS)
    return team_service.get_teams(session, area_paths=user.area_paths(Action.ROLLOUT_TEAMS))


@api.post("/rollout/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, session: DbSession, principal: CurrentPrincipal) -> CommunityTeam:
    """Set up a community team in a ward."""
    _check_ward(session, body.ward_code)
    user = access.area(session, principal, Action.ROLLOUT_TEAMS, body.ward_code)
    team = team_service.create_team(session, ward_code=body.ward_code, name=body.name)
    _audit(session, user, team, "create", {"name": team.name})
    return team


@api.get("/rollout/teams/{team_id}", response_model=TeamDetailOut)
def get_team(team_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> TeamDetailOut:
    """A team with its members and households (names: audited)."""
    user, team = _team(session, principal, team_id)
    members = team_service.get_members(session, team_id=team.id)
    households = team_service.get_households(session, team_ids=[team.id])
    _audit(session, user, team, "read", {"members": len(members), "households": len(households)})
    return TeamDetailOut(
        **TeamOut.model_validate(team).model_dump(),
        members=[TeamMemberOut.model_validate(m) for m in members],
        households=[HouseholdOut.model_validate(h) for h in households],
    )


@api.post("/rollout/teams/{team_id}/members", response_model=TeamMemberOut, status_code=201)
def add_team_member(
    team_id: uuid.UUID, body: TeamMemberIn, session: DbSession, principal: CurrentPrincipal
) -> TeamMember:
    """Add a staff account (username) or a citizen volunteer (phone number) to a team."""
    user, team = _team(session, principal, team_id)
    member = team_service.add_member(session, team=team, **body.model_dump())
    _audit(session, user, team, "add_member", {"member_id": str(member.id)})
    return member


@api.delete("/rollout/teams/{team_id}/members/{member_id}", status_code=204)
def remove_team_member(
    team_id: uuid.UUID, member_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Take a person off a team."""
    user, team = _team(session, principal, team_id)
    team_service.remove_member(session, team=team, member_id=member_id)
    _audit(session, user, team, "remove_member", {"member_id": str(member_id)})
    return Response(status_code=204)


@api.post("/rollout/teams/{team_id}/households", response_model=HouseholdOut, status_code=201)
def add_household(
    team_id: uuid.UUID, body: HouseholdCreate, session: DbSession, principal: CurrentPrincipal
) -> Any:
    """Add a household of the team's ward to the team's list."""
    user, team = _team(session, principal, team_id)
    household = team_service.add_household(
        session, team=team, values=team_service.HouseholdIn(**body.model_dump())
    )
    _audit(session, user, team, "add_household", {"household_id": str(household.id)})
    return household


@api.post("/rollout/teams/{team_id}/households/import", response_model=StreetOut)
async def import_households(
    team_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="XLSX or CSV (UTF-8) with a header line")],
) -> StreetOut:
    """Add a list of households to the team, whole or not at all (errors come back by line)."""
    user, team = _team(session, principal, team_id)
    content = await read_upload(file)
    added = team_service.import_households(
        session, team=team, filename=file.filename or "", content=content
    )
    _audit(session, user, team, "import", {"households": added})
    return StreetOut(households=added)


@api.post("/rollout/teams/{team_id}/streets", response_model=StreetOut)
def assign_street(
    team_id: uuid.UUID, body: StreetIn, session: DbSession, principal: CurrentPrincipal
) -> StreetOut:
    """Give the team every household of its ward on a street."""
    user, team = _team(session, principal, team_id)
    moved = team_service.assign_street(session, team=team, street=body.street)
    _audit(session, user, team, "assign_street", {"street": body.street, "households": moved})
    return StreetOut(households=moved)


# -- API: visits -------------------------------------------------------------------------


def _assigned(session: Session, user: Principal) -> list[AssignedHouseholdOut]:
    teams = team_service.teams_of(session, user)
    households = team_service.get_households(session, team_ids=[t.id for t in teams])
    last = team_service.latest_visits(session, household_ids=[h.id for h in households])
    return [
        AssignedHouseholdOut(
            **HouseholdOut.model_validate(h).model_dump(),
            last_visit=VisitOut.model_validate(last[h.id]) if h.id in last else None,
        )
        for h in households
    ]


@api.get("/rollout/visits/households", response_model=list[AssignedHouseholdOut])
def my_households(session: DbSession, principal: CurrentPrincipal) -> list[AssignedHouseholdOut]:
    """The households assigned to the caller's teams, each with its last visit that found
    someone at home (else its last visit)."""
    user = require(principal, Action.ROLLOUT_VISIT)
    return _assigned(session, user)


@api.post(
    "/rollout/households/{household_id}/visits",
    response_model=VisitOut,
    status_code=201,
    responses={200: {"description": "A resend: the visit stored with this client key."}},
)
def record_visit(
    household_id: uuid.UUID,
    body: VisitCreate,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
) -> HouseholdVisit:
    """Record a household visit once per client key (a resend answers 200 with the stored
    visit)."""
    household = team_service.get_household(session, household_id=household_id)
    user = access.visit(session, principal, household)
    visit, created = team_service.record_visit(
        session, household=household, recorded_by=user.user_id, values=_visit_values(body)
    )
    if not created:
        response.status_code = 200
    return visit


# -- API: coverage -----------------------------------------------------------------------


@api.get("/rollout/coverage/teams", response_model=CoverageOfTeamsOut)
def teams_coverage(
    session: DbSession, principal: CurrentPrincipal, unit: UnitCode = None
) -> CoverageOfTeamsOut:
    """Households visited and smartphones covered, per community team of an area (counts)."""
    code, path = _coverage_area(session, principal, unit)
    rows = team_service.coverage(session, area_path=path)
    return CoverageOfTeamsOut(
        unit=code,
        total=_coverage_out(team_service.total(rows)),
        teams=[_coverage_out(r) for r in rows],
    )


# -- pages: the ward's teams -------------------------------------------------------------


def _teams_context(
    session: Session,
    user: Principal,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    teams = team_service.get_teams(session, area_paths=user.area_paths(Action.ROLLOUT_TEAMS))
    return {
        "teams": teams,
        "wards": ui.wards_for(session, user, Action.ROLLOUT_TEAMS),
        "ward_names": ui.ward_names(session, {t.ward_code for t in teams}),
        "form": form or {},
        "errors": errors or {},
    }


def _field_errors(exc: InvalidInput) -> dict[str, str]:
    errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
    errors["form"] = i18n.gettext(exc.message, **exc.params)
    return errors


@pages.get("/rollout/teams", response_class=HTMLResponse)
def teams_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.ROLLOUT_TEAMS)
    ensure_csrf(request)
    return render(request, "rollout/teams.html", _teams_context(session, user))


TeamText = Annotated[str, Form(max_length=300)]


@pages.post("/rollout/teams", response_class=HTMLResponse)
def teams_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: TeamText = "",
    ward_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    form = {"name": name, "ward_code": ward_code}
    try:
        if not ward_code:
            require(principal, Action.ROLLOUT_TEAMS)
            raise InvalidInput(
                N_("Some fields are not valid."), fields={"ward_code": N_("Required.")}
            )
        _check_ward(session, ward_code)
        user = access.area(session, principal, Action.ROLLOUT_TEAMS, ward_code)
        team = team_service.create_team(session, ward_code=ward_code, name=name)
    except InvalidInput as exc:
        session.rollback()
        user = require(principal, Action.ROLLOUT_TEAMS)
        context = _teams_context(session, user, form=form, errors=_field_errors(exc))
        return render(request, "rollout/teams.html", context, status_code=422)
    _audit(session, user, team, "create", {"name": team.name})
    flash(request, i18n.gettext("The team %(name)s was set up.", name=team.name))
    return RedirectResponse(f"/rollout/teams/{team.id}", status_code=303)


def _team_context(
    session: Session,
    user: Principal,
    team: CommunityTeam,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    members = team_service.get_members(session, team_id=team.id)
    households = team_service.get_households(session, team_ids=[team.id])
    last = team_service.latest_visits(session, household_ids=[h.id for h in households])
    _audit(session, user, team, "read", {"members": len(members), "households": len(households)})
    ward = place_service.get(session, code=team.ward_code)
    return {
        "team": team,
        "ward_name": ward.name if ward else team.ward_code,
        "members": members,
        "households": households,
        "last": last,
        "display_phone": phone_numbers.display,
        "form": form or {},
        "errors": errors or {},
        "problems": [],
        "import_message": "",
        "columns": {},
    }


def _team_page(
    request: Request,
    session: Session,
    principal: Principal | None,
    team_id: uuid.UUID,
    exc: InvalidInput,
    form: dict[str, str],
) -> Response:
    session.rollback()
    user, team = _team(session, principal, team_id)
    context = _team_context(session, user, team, form=form, errors=_field_errors(exc))
    return render(request, "rollout/team.html", context, status_code=422)


@pages.get("/rollout/teams/{team_id}", response_class=HTMLResponse)
def team_page(
    team_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user, team = _team(session, principal, team_id)
    ensure_csrf(request)
    return render(request, "rollout/team.html", _team_context(session, user, team))


@pages.post("/rollout/teams/{team_id}/members", response_class=HTMLResponse)
def team_member_add(
    team_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    user, team = _team(session, principal, team_id)
    form = {"username": username, "phone": phone, "full_name": full_name}
    try:
        member = team_service.add_member(session, team=team, **form)
    except InvalidInput as exc:
        return _team_page(request, session, principal, team_id, exc, form)
    _audit(session, user, team, "add_member", {"member_id": str(member.id)})
    flash(request, i18n.gettext("Added to the team."))
    return RedirectResponse(f"/rollout/teams/{team.id}", status_code=303)


@pages.post("/rollout/teams/{team_id}/members/{member_id}/remove")
def team_member_remove(
    team_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    user, team = _team(session, principal, team_id)
    team_service.remove_member(session, team=team, member_id=member_id)
    _audit(session, user, team, "remove_member", {"member_id": str(member_id)})
    flash(request, i18n.gettext("Taken off the team."))
    return RedirectResponse(f"/rollout/teams/{team.id}", status_code=303)


@pages.post("/rollout/teams/{team_id}/households", response_class=HTMLResponse)
def team_household_add(
    team_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    address: TeamText = "",
    street: TeamText = "",
    head_name: TeamText = "",
    members: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    user, team = _team(session, principal, team_id)
    form = {"address": address, "street": street, "head_name": head_name, "members": members}
    try:
        count = int(members) if members.strip().isdigit() else 0
        household = team_service.add_household(
            session,
            team=team,
            values=team_service.HouseholdIn(address, head_name, count, street),
        )
    except InvalidInput as exc:
        return _team_page(request, session, principal, team_id, exc, form)
    _audit(session, user, team, "add_household", {"household_id": str(household.id)})
    flash(request, i18n.gettext("The household was added."))
    return RedirectResponse(f"/rollout/teams/{team.id}", status_code=303)


@pages.post("/rollout/teams/{team_id}/households/import", response_class=HTMLResponse)
async def team_household_import(
    team_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    user, team = _team(session, principal, team_id)
    try:
        if file is None or not file.filename:
            raise InvalidInput(N_("Choose a file to upload."), fields={"file": N_("Required.")})
        content = await read_upload(file)
        added = team_service.import_households(
            session, team=team, filename=file.filename, content=content
        )
    except InvalidInput as exc:
        session.rollback()
        user, team = _team(session, principal, team_id)
        context = _team_context(session, user, team)
        context["import_message"] = i18n.gettext(exc.message, **exc.params)
        context["problems"] = exc.problems if isinstance(exc, FileRejected) else []
        context["columns"] = {k: i18n.gettext(v) for k, v in HOUSEHOLD_LABELS.items()}
        return render(request, "rollout/team.html", context, status_code=422)
    _audit(session, user, team, "import", {"households": added})
    flash(request, i18n.gettext("%(count)s households were added.", count=added))
    return RedirectResponse(f"/rollout/teams/{team.id}", status_code=303)


@pages.post("/rollout/teams/{team_id}/streets", response_class=HTMLResponse)
def team_street_assign(
    team_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    street: TeamText = "",
) -> Response:
    user, team = _team(session, principal, team_id)
    try:
        moved = team_service.assign_street(session, team=team, street=street)
    except InvalidInput as exc:
        return _team_page(request, session, principal, team_id, exc, {"street": street})
    _audit(session, user, team, "assign_street", {"street": street, "households": moved})
    flash(
        request,
        i18n.gettext("%(count)s households of the street now belong to the team.", count=moved),
    )
    return RedirectResponse(f"/rollout/teams/{team.id}", status_code=303)


# -- pages: the team member's visits, the coverage ---------------------------------------


@pages.get("/rollout/visits", response_class=HTMLResponse)
def visits_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    """The team member's phone page: assigned households and the visit form."""
    user = require(principal, Action.ROLLOUT_VISIT)
    ensure_csrf(request)
    households = _assigned(session, user)
    return render(
        request,
        "rollout/teams_visits.html",
        {"households": households, "teams": team_service.teams_of(session, user)},
    )


@pages.get("/rollout/coverage", response_class=HTMLResponse)
def coverage_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, unit: UnitCode = None
) -> Response:
    code, path = _coverage_area(session, principal, unit)
    rows = team_service.coverage(session, area_path=path)
    unit_obj = place_service.get(session, code=code) if code else None
    return render(
        request,
        "rollout/teams_coverage.html",
        {
            "rows": rows,
            "total": team_service.total(rows),
            "unit": unit_obj,
            "ward_names": ui.ward_names(session, {r.ward_code for r in rows}),
        },
    )
