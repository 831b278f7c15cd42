"""Who may see and do what in rollout oversight (docs/rollout.md, "Who may do what").

- Organisation admins: their own organisations (membership in `organisation_admin`), inside
  their grant's area; the only ones who see the names on a roster.
- Ward, district and province officials, the DIC: everything inside their grant's area.
- Sector directors: the organisations of their sectors (`sector_director`), inside their grant's
  area (a province).
Area checks always use the stored area of the subject (the organisation's ward, the team's
ward, the unit of a report), never an area named in the request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.errors import N_, Forbidden
from epitrace.places import service as place_service
from epitrace.rollout import reports
from epitrace.rollout import teams as team_service
from epitrace.rollout.models import CommunityTeam, Household, OrganisationAdmin, SectorDirector
from epitrace.security.permissions import Grant, Principal, require
from epitrace.security.roles import Action, Role
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, Sector


def sectors_of(session: Session, *, user_id: uuid.UUID) -> set[Sector]:
    return set(
        session.scalars(select(SectorDirector.sector).where(SectorDirector.user_id == user_id))
    )


def admin_organisation_ids(session: Session, *, user_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(OrganisationAdmin.organisation_id).where(OrganisationAdmin.user_id == user_id)
    return list(session.scalars(stmt))


def is_admin_of(session: Session, *, organisation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    stmt = select(OrganisationAdmin.id).where(
        OrganisationAdmin.organisation_id == organisation_id, OrganisationAdmin.user_id == user_id
    )
    return session.scalar(stmt) is not None


def _covers(grant: Grant, path: str | None) -> bool:
    return grant.area_path is None or (path is not None and path.startswith(grant.area_path))


@dataclass
class OrgScope:
    """The organisations a principal may see for an action, as `venues.service` filters them."""

    scopes: list[venue_service.OrganisationScope] = field(default_factory=list)
    ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.scopes and not self.ids


def org_scope(session: Session, principal: Principal, action: Action) -> OrgScope:
    """(area, sector) scopes from area grants and sector directorships, plus own organisations."""
    scope = OrgScope()
    own: list[uuid.UUID] | None = None
    sectors: set[Sector] | None = None
    for grant in principal.grants_for(action):
        if grant.role is Role.ORG_ADMIN:
            if own is None:
                own = admin_organisation_ids(session, user_id=principal.user_id)
            if own:
                for organisation in venue_service.get_organisations(
                    session, area_paths=[grant.area_path], ids=own
                ):
                    scope.ids.append(organisation.id)
        elif grant.role is Role.SECTOR_DIRECTOR:
            if sectors is None:
                sectors = sectors_of(session, user_id=principal.user_id)
            scope.scopes.extend((grant.area_path, sector) for sector in sorted(sectors))
        else:
            scope.scopes.append((grant.area_path, None))
    return scope


def can_list(principal: Principal | None, action: Action = Action.ROLLOUT_ORG_READ) -> Principal:
    return require(principal, action)


def organisation(
    session: Session, principal: Principal | None, action: Action, org: Organisation
) -> Principal:
    """Allow `action` on one organisation, by its stored ward and sector, or raise 403."""
    user = require(principal, action, org.ward_code, session=session)
    path = place_service.path_of(session, code=org.ward_code)
    for grant in user.grants_for(action):
        if not _covers(grant, path):
            continue
        if grant.role is Role.ORG_ADMIN:
            if is_admin_of(session, organisation_id=org.id, user_id=user.user_id):
                return user
        elif grant.role is Role.SECTOR_DIRECTOR:
            if org.sector in sectors_of(session, user_id=user.user_id):
                return user
        else:
            return user
    raise Forbidden(N_("This organisation is outside your responsibility."))


def may(session: Session, principal: Principal, action: Action, org: Organisation) -> bool:
    """The same rule as `organisation`, as a yes/no for showing or hiding a button."""
    if not principal.can(action):
        return False
    try:
        organisation(session, principal, action, org)
    except Forbidden:
        return False
    return True


def create_in(
    session: Session, principal: Principal | None, ward_code: str, sector: Sector
) -> Principal:
    """Register an organisation in a ward: the area must be the caller's, and a sector
    director registers organisations of their own sectors only."""
    user = require(principal, Action.ROLLOUT_ORGANISATIONS, ward_code, session=session)
    path = place_service.path_of(session, code=ward_code)
    for grant in user.grants_for(Action.ROLLOUT_ORGANISATIONS):
        if not _covers(grant, path):
            continue
        if grant.role is not Role.SECTOR_DIRECTOR or sector in sectors_of(
            session, user_id=user.user_id
        ):
            return user
    raise Forbidden(N_("This organisation is outside your responsibility."))


def area(session: Session, principal: Principal | None, action: Action, code: str) -> Principal:
    """Figures of an area (a unit code): the caller's grant must cover it."""
    return require(principal, action, code, session=session)


def home_area(principal: Principal, action: Action) -> str | None:
    """The area a role's pages open on: its first grant's area (None: the whole country)."""
    grants = principal.grants_for(action)
    if not grants or any(g.area_code is None for g in grants):
        return None
    return grants[0].area_code


def sector_in_area(
    session: Session, principal: Principal | None, code: str, sector: Sector
) -> Principal:
    """A sector's figures inside an area: its sector directors and the area's officials."""
    action = Action.ROLLOUT_ORG_READ
    user = require(principal, action, code, session=session)
    path = place_service.path_of(session, code=code)
    for grant in user.grants_for(action):
        if not _covers(grant, path) or grant.role is Role.ORG_ADMIN:
            continue
        if grant.role is not Role.SECTOR_DIRECTOR or sector in sectors_of(
            session, user_id=user.user_id
        ):
            return user
    raise Forbidden(N_("This sector is outside your responsibility."))


# -- the reporting chain (docs/rollout.md, "Reporting chain") -----------------------------


def _area_grants(
    session: Session, user: Principal, action: Action, code: str, roles: frozenset[Role]
) -> list[Grant]:
    path = place_service.path_of(session, code=code)
    return [g for g in user.grants_for(action) if g.role in roles and _covers(g, path)]


def report_read(session: Session, principal: Principal | None, unit_code: str) -> Principal:
    """An administrative unit's report and the reporting rate of an area: an official's or
    the DIC's grant covering the unit (organisation admins and sector directors read the
    reports of their own units only)."""
    user = require(principal, Action.REPORTS_READ, unit_code, session=session)
    if _area_grants(session, user, Action.REPORTS_READ, unit_code, reports.AREA_WRITERS):
        return user
    raise Forbidden(N_("The reports of administrative units are for their officials."))


def report_write(session: Session, principal: Principal | None, unit_code: str) -> Principal:
    """Writing and submitting an administrative unit's report: its own officials, granted on
    that very unit (an official above reviews it and does not write it)."""
    user = require(principal, Action.REPORTS_WRITE, unit_code, session=session)
    for grant in user.grants_for(Action.REPORTS_WRITE):
        if grant.area_code == unit_code and grant.role in reports.AREA_WRITERS:
            return user
    raise Forbidden(N_("Only the unit's own officials write and submit its report."))


def _organisation_of(session: Session, unit: reports.Unit) -> Organisation:
    assert unit.organisation_id is not None  # noqa: S101 - an organisation's unit has its id
    return venue_service.get_organisation(session, organisation_id=unit.organisation_id)


def _directs(session: Session, user: Principal, grant: Grant, sector: str) -> bool:
    return grant.role is Role.SECTOR_DIRECTOR and Sector(sector) in sectors_of(
        session, user_id=user.user_id
    )


def report_read_unit(
    session: Session, principal: Principal | None, unit: reports.Unit
) -> Principal:
    """Any unit's report: an administrative unit's as `report_read`; an organisation's for
    its admins, its sector's directors and the officials covering its ward; a sector's for
    its directors and the officials covering the form's area."""
    if unit.is_area:
        return report_read(session, principal, unit.code)
    action = Action.REPORTS_READ
    user = require(principal, action, unit.place, session=session)
    path = place_service.path_of(session, code=unit.place)
    for grant in user.grants_for(action):
        if not _covers(grant, path):
            continue
        if grant.role in reports.AREA_WRITERS or _directs(session, user, grant, unit.sector):
            return user
        if (
            grant.role is Role.ORG_ADMIN
            and unit.organisation_id is not None
            and is_admin_of(session, organisation_id=unit.organisation_id, user_id=user.user_id)
        ):
            return user
    raise Forbidden(N_("This report is outside your responsibility."))


def report_write_unit(
    session: Session, principal: Principal | None, unit: reports.Unit
) -> Principal:
    """Writing and submitting any unit's report: an administrative unit's own officials, an
    organisation's admins, a sector's directors."""
    if unit.is_area:
        return report_write(session, principal, unit.code)
    action = Action.REPORTS_WRITE
    user = require(principal, action, unit.place, session=session)
    path = place_service.path_of(session, code=unit.place)
    for grant in user.grants_for(action):
        if not _covers(grant, path):
            continue
        if unit.tier == reports.SECTOR and _directs(session, user, grant, unit.sector):
            return user
        if (
            unit.organisation_id is not None
            and grant.role is Role.ORG_ADMIN
            and is_admin_of(session, organisation_id=unit.organisation_id, user_id=user.user_id)
        ):
            return user
    if unit.tier == reports.SECTOR:
        raise Forbidden(N_("Only the sector's directors write and submit its report."))
    raise Forbidden(N_("Only the organisation's admins write and submit its report."))


def report_review(session: Session, principal: Principal | None, unit: reports.Unit) -> Principal:
    """Returning or approving a unit's report (docs/rollout.md, "Reporting chain"):
    - an administrative unit's: the officials above it (a grant covering its parent); the
      top unit of the hierarchy is approved by its own officials;
    - an organisation's: the directors of its supervising sector; when the people's
      committee supervises it, the officials covering its ward;
    - a sector's: the province's officials and the DIC."""
    action = Action.REPORTS_REVIEW
    user = require(principal, action)
    if unit.tier == reports.ORGANISATION:
        require(user, action, unit.place, session=session)
        people = unit.sector == Sector.PEOPLE_COMMITTEE.value
        path = place_service.path_of(session, code=unit.place)
        for grant in user.grants_for(action):
            if not _covers(grant, path):
                continue
            if people and grant.role in reports.AREA_WRITERS:
                return user
            if not people and _directs(session, user, grant, unit.sector):
                return user
        if people:
            raise Forbidden(N_("Only the officials of the organisation's ward review its report."))
        raise Forbidden(
            N_("Only the directors of the organisation's supervising sector review its report.")
        )
    if unit.tier == reports.SECTOR:
        require(user, action, unit.place, session=session)
        if _area_grants(session, user, action, unit.place, reports.SECTOR_REVIEWERS):
            return user
        raise Forbidden(N_("Only the province and the DIC review a sector's report."))
    if unit.parent_code is None:
        require(user, action, unit.code, session=session)
        for grant in user.grants_for(action):
            if grant.role not in reports.AREA_REVIEWERS:
                continue
            if grant.area_code == unit.code or grant.area_code is None:
                return user
        raise Forbidden(N_("Only the level above a unit reviews its report."))
    try:
        require(user, action, unit.parent_code, session=session)
    except Forbidden:
        raise Forbidden(N_("Only the level above a unit reviews its report.")) from None
    if _area_grants(session, user, action, unit.parent_code, reports.AREA_REVIEWERS):
        return user
    raise Forbidden(N_("Only the level above a unit reviews its report."))


def report_forms(session: Session, principal: Principal | None, area_code: str) -> Principal:
    """Defining a report form for an area: the DIC and the province's officials."""
    return require(principal, Action.REPORTS_FORMS, area_code, session=session)


def report_remind(session: Session, principal: Principal | None, area_code: str) -> Principal:
    """Reminding the lagging units of an area."""
    return require(principal, Action.REPORTS_REMIND, area_code, session=session)


def adhoc_issue(session: Session, principal: Principal | None, area_code: str) -> Principal:
    """Sending an ad-hoc request from an area, seeing its answers and reminding: the DIC and
    the province's officials, on the request's stored area."""
    return require(principal, Action.REPORTS_FORMS, area_code, session=session)


def adhoc_answer(session: Session, principal: Principal | None, unit_code: str) -> Principal:
    """Answering an ad-hoc request for a unit: its own officials, as for its reports."""
    return report_write(session, principal, unit_code)


def team(session: Session, principal: Principal | None, team: CommunityTeam) -> Principal:
    """Manage a community team: the grant must cover the team's stored ward."""
    return require(principal, Action.ROLLOUT_TEAMS, team.ward_code, session=session)


def visit(session: Session, principal: Principal | None, household: Household) -> Principal:
    """Record a visit to a household: a member of the team the household is assigned to
    (staff members also inside their grant's area)."""
    user = require(principal, Action.ROLLOUT_VISIT, household.ward_code, session=session)
    own = {t.id for t in team_service.teams_of(session, user)}
    if household.team_id is None or household.team_id not in own:
        raise Forbidden(N_("This household is not assigned to your team."))
    return user
