"""Community COVID teams (tổ Covid cộng đồng): a ward's teams, their members and households,
household visits recorded once per client key, and the ward's coverage of households.

A visit recorded offline is resent with the key the phone made for it; the unique key
(recorded_by, client_key) keeps it single, and a resend answers with the stored visit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.rollout import spreadsheets
from epitrace.rollout.models import CommunityTeam, Household, HouseholdVisit, TeamMember
from epitrace.rollout.spreadsheets import FileRejected, Problem
from epitrace.security.permissions import Principal
from epitrace.security.roles import ROLE_ACTIONS, Action

if TYPE_CHECKING:
    from epitrace.accounts.models import RoleGrant

MAX_HOUSEHOLD_MEMBERS = 50
MAX_NOTES = 500
# A visit recorded offline may be sent days later; one claiming to be older than this, or
# from the future beyond a clock's drift, is refused.
MAX_VISIT_AGE = timedelta(days=30)
MAX_CLOCK_DRIFT = timedelta(minutes=10)


# -- teams -------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def create_team(session: Session, *, ward_code: str, name: str) -> CommunityTeam:
    name = _clean(name)
    if not name:
        raise InvalidInput(N_("Some fields are not valid."), fields={"name": N_("Required.")})
    if len(name) > 120:
        raise InvalidInput(
            N_("Some fields are not valid."), fields={"name": N_("This value is too long.")}
        )
    clash = session.scalar(
        select(CommunityTeam.id).where(
            CommunityTeam.ward_code == ward_code, CommunityTeam.name == name
        )
    )
    if clash is not None:
        raise InvalidInput(
            N_("The ward already has a team with this name."),
            fields={"name": N_("The ward already has a team with this name.")},
        )
    team = CommunityTeam(ward_code=ward_code, name=name)
    session.add(team)
    session.flush()
    return team


def get_team(session: Session, *, team_id: uuid.UUID) -> CommunityTeam:
    team = session.get(CommunityTeam, team_id)
    if team is None:
        raise NotFound(N_("This team does not exist."))
    return team


def get_teams(session: Session, *, area_paths: Sequence[str | None]) -> list[CommunityTeam]:
    """The teams of the wards inside any of the areas (by path; None: everywhere)."""
    if not area_paths:
        return []
    where = or_(*(place_service.within_area(CommunityTeam.ward_code, p) for p in area_paths))
    stmt = select(CommunityTeam).where(where)
    return list(session.scalars(stmt.order_by(CommunityTeam.ward_code, CommunityTeam.name)))


# -- members -----------------------------------------------------------------------------


def get_members(session: Session, *, team_id: uuid.UUID) -> list[TeamMember]:
    stmt = select(TeamMember).where(TeamMember.team_id == team_id).order_by(TeamMember.full_name)
    return list(session.scalars(stmt))


def add_member(
    session: Session,
    *,
    team: CommunityTeam,
    username: str = "",
    phone: str = "",
    full_name: str = "",
) -> TeamMember:
    """A staff account (by username) or a citizen volunteer (by phone number)."""
    full_name = _clean(full_name)[:200]
    username = username.strip()
    phone = phone.strip()
    if bool(username) == bool(phone):
        raise InvalidInput(
            N_("Give either a staff username or a phone number."),
            fields={"phone": N_("Give either a staff username or a phone number.")},
        )
    if username:
        account = account_service.get_by_username(session, username=username)
        if account is None or account.kind != "staff" or not account.is_active:
            raise InvalidInput(
                N_("No staff account has this username."),
                fields={"username": N_("No staff account has this username.")},
            )
        if not _may_visit_in(session, account.grants, team.ward_code):
            raise InvalidInput(
                N_("This account cannot record household visits in the team's ward."),
                fields={
                    "username": N_(
                        "This account cannot record household visits in the team's ward."
                    )
                },
            )
        clash = select(TeamMember.id).where(
            TeamMember.team_id == team.id, TeamMember.user_id == account.id
        )
        member = TeamMember(
            team_id=team.id,
            user_id=account.id,
            full_name=full_name or account.display_name or account.username or "",
        )
    else:
        try:
            canonical = phone_numbers.normalise(phone)
        except InvalidInput:
            raise InvalidInput(
                N_("Some fields are not valid."),
                fields={"phone": N_("Enter a Vietnamese mobile number, e.g. 0912345678.")},
            ) from None
        clash = select(TeamMember.id).where(
            TeamMember.team_id == team.id, TeamMember.phone == canonical
        )
        member = TeamMember(team_id=team.id, phone=canonical, full_name=full_name)
    if session.scalar(clash) is not None:
        raise InvalidInput(
            N_("This person is already in the team."),
            fields={"phone": N_("This person is already in the team.")},
        )
    session.add(member)
    session.flush()
    return member


def _may_visit_in(session: Session, grants: Sequence[RoleGrant], ward_code: str) -> bool:
    """A staff account records visits with a role allowed to, granted on an area holding the
    ward (the same rule `access.visit` applies when the visit arrives)."""
    ward_path = place_service.path_of(session, code=ward_code) or ""
    allowed = ROLE_ACTIONS[Action.ROLLOUT_VISIT]
    for grant in grants:
        if grant.role not in allowed:
            continue
        if grant.area_code is None:
            return True
        area_path = place_service.path_of(session, code=grant.area_code)
        if area_path is not None and ward_path.startswith(area_path):
            return True
    return False


def remove_member(session: Session, *, team: CommunityTeam, member_id: uuid.UUID) -> None:
    member = session.get(TeamMember, member_id)
    if member is None or member.team_id != team.id:
        raise NotFound(N_("This person is not in the team."))
    session.delete(member)
    session.flush()


def teams_of(session: Session, principal: Principal) -> list[CommunityTeam]:
    """The teams the signed-in person belongs to: by account, or as a citizen by phone."""
    account = account_service.get_account(session, user_id=principal.user_id)
    if account is None:
        return []
    match = TeamMember.user_id == account.id
    if principal.is_citizen and account.phone:
        match = TeamMember.phone == account.phone
    stmt = (
        select(CommunityTeam)
        .join(TeamMember, TeamMember.team_id == CommunityTeam.id)
        .where(match)
        .order_by(CommunityTeam.name)
    )
    return list(session.scalars(stmt).unique())


# -- households --------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdIn:
    address: str
    head_name: str
    members: int
    street: str = ""


def check_household(values: HouseholdIn) -> HouseholdIn:
    errors: dict[str, str] = {}
    address = _clean(values.address)
    head = _clean(values.head_name)
    street = _clean(values.street)
    if not address:
        errors["address"] = N_("Required.")
    elif len(address) > 300:
        errors["address"] = N_("This value is too long.")
    if not head:
        errors["head_name"] = N_("Required.")
    elif len(head) > 200:
        errors["head_name"] = N_("This value is too long.")
    if len(street) > 200:
        errors["street"] = N_("This value is too long.")
    if not 1 <= values.members <= MAX_HOUSEHOLD_MEMBERS:
        errors["members"] = N_("Enter a number from 1 to 50.")
    if errors:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    return HouseholdIn(address, head, values.members, street)


def add_household(session: Session, *, team: CommunityTeam, values: HouseholdIn) -> Household:
    """A household of the team's ward, assigned to the team."""
    checked = check_household(values)
    household = Household(
        ward_code=team.ward_code,
        team_id=team.id,
        street=checked.street,
        address=checked.address,
        head_name=checked.head_name,
        members=checked.members,
    )
    session.add(household)
    session.flush()
    return household


MAX_HOUSEHOLD_ROWS = 20_000
HOUSEHOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("Địa chỉ", "Số nhà", "Address"),
    "street": ("Đường", "Tuyến phố", "Đường phố", "Street"),
    "head_name": ("Chủ hộ", "Họ tên chủ hộ", "Họ và tên chủ hộ", "Head of household"),
    "members": ("Số nhân khẩu", "Nhân khẩu", "Số người", "People", "Members"),
}


def import_households(
    session: Session, *, team: CommunityTeam, filename: str, content: bytes
) -> int:
    """Add a list of households to the team, whole or not at all (FileRejected lists every
    problem by line); the number added."""
    table = spreadsheets.read(
        filename,
        content,
        columns=HOUSEHOLD_COLUMNS,
        required=("address", "head_name", "members"),
        max_rows=MAX_HOUSEHOLD_ROWS,
    )
    problems: list[Problem] = []
    checked: list[HouseholdIn] = []
    for row in table.rows:
        raw = row.values.get("members", "").strip()
        values = HouseholdIn(
            address=row.values.get("address", ""),
            head_name=row.values.get("head_name", ""),
            members=int(raw) if raw.isdigit() else 0,
            street=row.values.get("street", ""),
        )
        try:
            checked.append(check_household(values))
        except InvalidInput as exc:
            problems.extend(Problem(row.line, m, c) for c, m in exc.fields.items())
    if problems:
        raise FileRejected(problems)
    for values in checked:
        session.add(
            Household(
                ward_code=team.ward_code,
                team_id=team.id,
                street=values.street,
                address=values.address,
                head_name=values.head_name,
                members=values.members,
            )
        )
    session.flush()
    return len(checked)


def assign_street(session: Session, *, team: CommunityTeam, street: str) -> int:
    """Give the team every household of its ward on a street; the number moved."""
    street = _clean(street)
    if not street:
        raise InvalidInput(N_("Some fields are not valid."), fields={"street": N_("Required.")})
    households = session.scalars(
        select(Household).where(Household.ward_code == team.ward_code, Household.street == street)
    ).all()
    for household in households:
        household.team_id = team.id
    session.flush()
    return len(households)


def get_household(session: Session, *, household_id: uuid.UUID) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("This household does not exist."))
    return household


def get_households(session: Session, *, team_ids: Sequence[uuid.UUID]) -> list[Household]:
    if not team_ids:
        return []
    stmt = (
        select(Household)
        .where(Household.team_id.in_(team_ids))
        .order_by(Household.street, Household.address, Household.id)
    )
    return list(session.scalars(stmt))


# -- visits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitIn:
    client_key: str
    visited: bool
    leaflet: bool = False
    smartphones: int = 0
    installed: int = 0
    helped: int = 0
    notes: str = ""
    visited_at: datetime | None = None


def check_visit(household: Household, values: VisitIn, now: datetime) -> dict[str, str]:
    """Field → message for what cannot be true of this household (empty when all is well).

    helped ≤ installed ≤ smartphones ≤ the household's members; nobody is counted when
    nobody was found at home.
    """
    errors: dict[str, str] = {}
    counts = {"smartphones": values.smartphones, "installed": values.installed}
    counts["helped"] = values.helped
    for name, value in counts.items():
        if value < 0 or value > household.members:
            errors[name] = N_("From 0 up to the number of people in the household.")
    if not values.visited and any(counts.values()):
        errors["visited"] = N_("Nobody can be counted when the household was not visited.")
    if "installed" not in errors and values.installed > values.smartphones:
        errors["installed"] = N_("No more than the members with a smartphone.")
    if "helped" not in errors and values.helped > values.installed:
        errors["helped"] = N_("No more than the members who have the suite.")
    if len(values.notes) > MAX_NOTES:
        errors["notes"] = N_("This value is too long.")
    at = values.visited_at
    if at is not None and (at > now + MAX_CLOCK_DRIFT or at < now - MAX_VISIT_AGE):
        errors["visited_at"] = N_("The time of the visit is not plausible.")
    return errors


def find_visit(
    session: Session, *, recorded_by: uuid.UUID, client_key: str
) -> HouseholdVisit | None:
    stmt = select(HouseholdVisit).where(
        HouseholdVisit.recorded_by == recorded_by, HouseholdVisit.client_key == client_key
    )
    return session.scalars(stmt).first()


def record_visit(
    session: Session,
    *,
    household: Household,
    recorded_by: uuid.UUID,
    values: VisitIn,
    now: datetime | None = None,
) -> tuple[HouseholdVisit, bool]:
    """Store a visit once per (member, client key); (the visit, True when new).

    A resend answers with the stored visit; a key reused for another household is refused.
    """
    moment = now or utcnow()
    stored = find_visit(session, recorded_by=recorded_by, client_key=values.client_key)
    if stored is None:
        errors = check_visit(household, values, moment)
        if errors:
            raise InvalidInput(N_("Some fields are not valid."), fields=errors)
        visit = HouseholdVisit(
            household_id=household.id,
            team_id=household.team_id,
            recorded_by=recorded_by,
            client_key=values.client_key,
            visited=values.visited,
            leaflet=values.leaflet,
            smartphones=values.smartphones,
            installed=values.installed,
            helped=values.helped,
            notes=_clean(values.notes),
            visited_at=values.visited_at or moment,
        )
        try:
            with session.begin_nested():
                session.add(visit)
                session.flush()
        except IntegrityError:
            # the same visit arrived twice at once: the other request stored it
            stored = find_visit(session, recorded_by=recorded_by, client_key=values.client_key)
            if stored is None:
                raise
        else:
            return visit, True
    if stored.household_id != household.id:
        raise Conflict(N_("This visit key was already used for another household."))
    return stored, False


def latest_visits(
    session: Session, *, household_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, HouseholdVisit]:
    """Each household's last visit that found someone at home, else its last visit (by the
    time of the visit): what the household's state shows, as coverage counts it."""
    found: dict[uuid.UUID, HouseholdVisit] = {}
    unique = list(dict.fromkeys(household_ids))
    for start in range(0, len(unique), 5000):
        stmt = (
            select(HouseholdVisit)
            .where(HouseholdVisit.household_id.in_(unique[start : start + 5000]))
            .order_by(HouseholdVisit.visited, HouseholdVisit.visited_at, HouseholdVisit.recorded_at)
        )
        for visit in session.scalars(stmt):
            found[visit.household_id] = visit
    return found


# -- coverage ----------------------------------------------------------------------------


@dataclass
class TeamCoverage:
    """Households visited of those assigned, and smartphones covered (docs/rollout.md)."""

    team_id: uuid.UUID | None
    name: str
    ward_code: str
    households: int = 0
    visited: int = 0
    leaflets: int = 0
    people: int = 0
    smartphones: int = 0
    installed: int = 0
    helped: int = 0

    @property
    def visited_pct(self) -> float | None:
        return round(100 * self.visited / self.households, 1) if self.households else None

    @property
    def installed_pct(self) -> float | None:
        return round(100 * self.installed / self.smartphones, 1) if self.smartphones else None


def coverage(session: Session, *, area_path: str | None) -> list[TeamCoverage]:
    """Per team of the wards inside the area: the figures of each household's last visit in
    which someone was found at home (a later "nobody home" does not undo it)."""
    teams = get_teams(session, area_paths=[area_path])
    rows = {t.id: TeamCoverage(t.id, t.name, t.ward_code) for t in teams}
    households = get_households(session, team_ids=list(rows))
    visits: dict[uuid.UUID, HouseholdVisit] = {}
    for start in range(0, len(households), 5000):
        chunk = [h.id for h in households[start : start + 5000]]
        stmt = (
            select(HouseholdVisit)
            .where(HouseholdVisit.household_id.in_(chunk), HouseholdVisit.visited.is_(True))
            .order_by(HouseholdVisit.visited_at, HouseholdVisit.recorded_at)
        )
        for visit in session.scalars(stmt):
            visits[visit.household_id] = visit
    for household in households:
        row = rows[household.team_id]  # type: ignore[index]
        row.households += 1
        row.people += household.members
        last = visits.get(household.id)
        if last is None:
            continue
        row.visited += 1
        row.leaflets += last.leaflet
        row.smartphones += last.smartphones
        row.installed += last.installed
        row.helped += last.helped
    return list(rows.values())


FIGURES = ("households", "visited", "leaflets", "people", "smartphones", "installed", "helped")


def total(rows: Sequence[TeamCoverage]) -> TeamCoverage:
    whole = TeamCoverage(None, "", "")
    for row in rows:
        for name in FIGURES:
            setattr(whole, name, getattr(whole, name) + getattr(row, name))
    return whole
