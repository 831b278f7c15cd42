"""Organisations as accountable units: import from a list, their admins, sector directors.

The organisation rows belong to the venue registry (`venues.service`); this module keeps who
answers for them and loads the province's lists of organisations.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import UserAccount
from epitrace.db import path_within
from epitrace.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import spreadsheets
from epitrace.rollout.access import sectors_of
from epitrace.rollout.models import OrganisationAdmin, SectorDirector
from epitrace.rollout.spreadsheets import FileRejected, Problem
from epitrace.security.permissions import Principal
from epitrace.security.roles import Action, Role
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, OrganisationKind, Sector
from epitrace.web import i18n

MAX_ORGANISATION_ROWS = 20_000

# Our column → the header spellings accepted (the first is the one the template uses).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Tên đơn vị", "Tên cơ quan, đơn vị", "Tên tổ chức", "Name"),
    "kind": ("Loại hình", "Loại", "Kind"),
    "sector": ("Ngành quản lý", "Ngành", "Cơ quan quản lý", "Sector"),
    "ward_code": ("Mã phường/xã", "Mã xã", "Mã phường", "Mã ĐVHC", "Ward code"),
    "ward_name": ("Phường/xã", "Tên phường/xã", "Ward"),
    "address": ("Địa chỉ", "Address"),
    "tax_code": ("Mã số thuế", "MST", "Tax code"),
    "head_name": ("Người đứng đầu", "Thủ trưởng", "Head"),
    "head_title": ("Chức vụ", "Head title", "Title"),
    "contact_phone": ("Điện thoại liên hệ", "Điện thoại", "Số điện thoại", "Phone"),
    "contact_email": ("Thư điện tử", "Email", "E-mail"),
}
FIELD_LABELS = {
    "name": N_("Name"),
    "kind": N_("Kind"),
    "sector": N_("Supervising sector"),
    "ward_code": N_("Ward"),
    "tax_code": N_("Tax code"),
    "address": N_("Address"),
    "head_name": N_("Head of the organisation"),
    "head_title": N_("Head's title"),
    "contact_phone": N_("Contact telephone"),
    "contact_email": N_("Contact e-mail"),
}


# The short names people write in their lists, besides the labels of the pages.
KIND_ALIASES: dict[OrganisationKind, tuple[str, ...]] = {
    OrganisationKind.STATE_AGENCY: ("cơ quan nhà nước", "cơ quan", "cơ quan hành chính"),
    OrganisationKind.POLITICAL_SOCIAL: ("tổ chức chính trị - xã hội", "đoàn thể", "hội"),
    OrganisationKind.PUBLIC_SERVICE: ("đơn vị sự nghiệp", "đơn vị sự nghiệp công lập"),
    OrganisationKind.ENTERPRISE: ("doanh nghiệp", "công ty", "nhà máy", "xí nghiệp"),
    OrganisationKind.SCHOOL: (
        "trường học", "trường", "đại học", "cao đẳng", "trung cấp", "giáo dục nghề nghiệp",
    ),
    OrganisationKind.HEALTH_FACILITY: ("cơ sở y tế", "bệnh viện", "trạm y tế", "phòng khám"),
    OrganisationKind.TRANSPORT: ("đơn vị vận tải", "vận tải", "bến xe", "nhà ga", "bến tàu"),
    OrganisationKind.HOSPITALITY: ("khách sạn", "nhà hàng", "cơ sở lưu trú", "nhà nghỉ"),
    OrganisationKind.MARKET: ("chợ", "trung tâm thương mại", "siêu thị"),
    OrganisationKind.QUARANTINE_AREA: ("khu cách ly", "cơ sở cách ly"),
    OrganisationKind.OTHER: ("khác",),
}  # fmt: skip
SECTOR_ALIASES: dict[Sector, tuple[str, ...]] = {
    Sector.HEALTH: ("y tế", "sở y tế"),
    Sector.EDUCATION: ("giáo dục", "giáo dục và đào tạo", "sở giáo dục và đào tạo"),
    Sector.LABOUR: ("lao động", "lao động - thương binh và xã hội", "sở lao động"),
    Sector.TRANSPORT: ("giao thông", "giao thông vận tải", "sở giao thông vận tải"),
    Sector.CULTURE_TOURISM: ("văn hóa", "du lịch", "văn hóa, thể thao và du lịch"),
    Sector.INDUSTRY_TRADE: ("công thương", "sở công thương"),
    Sector.ZONE_BOARD: (
        "ban quản lý", "ban quản lý các khu công nghiệp", "khu công nghiệp", "khu kinh tế",
        "khu công nghệ cao",
    ),
    Sector.MASS_ORGANISATIONS: ("công đoàn", "liên đoàn lao động", "đoàn thể", "mặt trận"),
    Sector.PEOPLE_COMMITTEE: (
        "ubnd", "ủy ban nhân dân", "ubnd phường", "ubnd xã", "ubnd quận", "ubnd huyện",
    ),
}  # fmt: skip


def _labels_in_every_language(msgid: str) -> list[str]:
    return [i18n.translations(locale).ugettext(msgid) for locale in i18n.LOCALES]


def kind_choices() -> dict[str, list[str]]:
    return {
        k.value: [*_labels_in_every_language(m), *KIND_ALIASES[k]]
        for k, m in venue_service.ORGANISATION_KIND_NAMES.items()
    }


def sector_choices() -> dict[str, list[str]]:
    return {
        s.value: [*_labels_in_every_language(m), *SECTOR_ALIASES[s]]
        for s, m in venue_service.SECTOR_NAMES.items()
    }


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


@dataclass
class _Area:
    """The units where the importer may register organisations, by code and by folded name."""

    paths: dict[str, str]
    by_name: dict[str, list[str]]


def _importer_area(session: Session, principal: Principal) -> _Area:
    grants = principal.grants_for(Action.ROLLOUT_ORGANISATIONS)
    stmt = select(AdminUnit.code, AdminUnit.name, AdminUnit.path)
    if not any(g.area_path is None for g in grants):
        stmt = stmt.where(or_(false(), *(path_within(AdminUnit.path, g.area_path) for g in grants)))
    paths: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for code, name, path in session.execute(stmt):
        paths[code] = path
        by_name.setdefault(spreadsheets.fold(name), []).append(code)
    return _Area(paths, by_name)


def _allowed(principal: Principal, sectors: set[Sector], path: str, sector: Sector) -> bool:
    for grant in principal.grants_for(Action.ROLLOUT_ORGANISATIONS):
        if grant.area_path is not None and not path.startswith(grant.area_path):
            continue
        if grant.role is not Role.SECTOR_DIRECTOR or sector in sectors:
            return True
    return False


def import_organisations(
    session: Session, *, principal: Principal, filename: str, content: bytes
) -> ImportResult:
    """Register or update every organisation of a list, or nothing (FileRejected says why).

    A row is the organisation already registered with the same tax code, else with the same
    name in the same ward; it is updated, otherwise created. Every row must lie in the
    importer's area (and, for a sector director, in their sectors).
    """
    table = spreadsheets.read(
        filename,
        content,
        columns=COLUMNS,
        required=("name", "kind", "sector"),
        max_rows=MAX_ORGANISATION_ROWS,
    )
    if "ward_code" not in table.columns and "ward_name" not in table.columns:
        raise FileRejected(
            [
                Problem(
                    1,
                    N_("The header has no column %(column)s."),
                    "ward_code",
                    {"column": COLUMNS["ward_code"][0]},
                )
            ]
        )
    area = _importer_area(session, principal)
    sectors = sectors_of(session, user_id=principal.user_id)
    kinds, sector_names = kind_choices(), sector_choices()
    problems: list[Problem] = []
    cleaned: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in table.rows:
        values: dict[str, Any] = dict(row.values)
        row_problems: list[Problem] = []
        ward_code = values.pop("ward_code", "").strip()
        ward_name = values.pop("ward_name", "").strip()
        if not ward_code and ward_name:
            found = area.by_name.get(spreadsheets.fold(ward_name), [])
            if len(found) == 1:
                ward_code = found[0]
            elif len(found) > 1:
                row_problems.append(
                    Problem(
                        row.line,
                        N_("Several wards are named %(name)s; give the ward code."),
                        "ward_code",
                        {"name": ward_name},
                    )
                )
            else:
                row_problems.append(
                    Problem(
                        row.line,
                        N_("There is no ward %(name)s in your area."),
                        "ward_code",
                        {"name": ward_name},
                    )
                )
        elif ward_code.isdigit() and len(ward_code) < 5:
            ward_code = ward_code.zfill(5)  # spreadsheets drop leading zeros of ward codes
        values["ward_code"] = ward_code
        for column, choices in (("kind", kinds), ("sector", sector_names)):
            raw = values.get(column, "").strip()
            if not raw:
                row_problems.append(Problem(row.line, N_("Required."), column))
                values[column] = None
            else:
                values[column] = spreadsheets.match_choice(raw, choices) or raw
        clean, errors = venue_service.clean_organisation(
            values, ward_exists=lambda code: code in area.paths
        )
        if any(p.column == "ward_code" for p in row_problems):
            errors.pop("ward_code", None)
        for column in ("kind", "sector"):
            if not values[column]:
                errors.pop(column, None)
        for column, message in errors.items():
            text = message
            if column == "ward_code" and ward_code:
                text = N_("The ward %(code)s is not in your area.")
            row_problems.append(Problem(row.line, text, column, {"code": ward_code}))
        if not row_problems and not _allowed(
            principal, sectors, area.paths[clean["ward_code"]], clean["sector"]
        ):
            row_problems.append(
                Problem(row.line, N_("You do not supervise this sector."), "sector")
            )
        if not row_problems:
            keys: list[tuple[Any, ...]] = [
                ("name", spreadsheets.fold(clean["name"]), clean["ward_code"])
            ]
            if clean["tax_code"]:
                keys.append(("tax", clean["tax_code"]))
            for key in keys:
                if key in seen:
                    row_problems.append(
                        Problem(
                            row.line,
                            N_("The same organisation is on line %(line)s."),
                            "name",
                            {"line": seen[key]},
                        )
                    )
                    break
            for key in keys:
                seen.setdefault(key, row.line)
        if row_problems:
            problems.extend(row_problems)
        else:
            cleaned.append((row.line, clean))
    # A line that stands for a registered organisation changes it: that organisation, where
    # it is stored now, must be the importer's too.
    targets: list[tuple[dict[str, Any], Organisation | None]] = []
    for line, clean in cleaned:
        existing = venue_service.find_organisation(
            session, tax_code=clean["tax_code"], name=clean["name"], ward_code=clean["ward_code"]
        )
        if existing is not None:
            path = area.paths.get(existing.ward_code)
            if path is None or not _allowed(principal, sectors, path, existing.sector):
                problems.append(
                    Problem(
                        line,
                        N_("This organisation is registered outside your responsibility."),
                        "tax_code" if clean["tax_code"] else "name",
                    )
                )
        targets.append((clean, existing))
    if problems:
        raise FileRejected(problems)
    created = updated = 0
    for clean, existing in targets:
        if existing is None:
            venue_service.create_organisation(session, **clean)
            created += 1
        else:
            venue_service.update_organisation(session, organisation=existing, **clean)
            updated += 1
    return ImportResult(created, updated)


# -- admins ------------------------------------------------------------------------------


def get_admins(session: Session, *, organisation_id: uuid.UUID) -> list[UserAccount]:
    stmt = (
        select(UserAccount)
        .join(OrganisationAdmin, OrganisationAdmin.user_id == UserAccount.id)
        .where(OrganisationAdmin.organisation_id == organisation_id)
        .order_by(UserAccount.username)
    )
    return list(session.scalars(stmt))


def _staff_with_role(
    session: Session, *, username: str, role: Role, field: str = "username"
) -> UserAccount:
    account = account_service.get_by_username(session, username=username)
    if account is None or account.kind != "staff":
        raise InvalidInput(
            N_("There is no staff account %(username)s."),
            params={"username": username},
            fields={field: N_("Enter the user name of a staff account.")},
        )
    if not any(g.role is role for g in account.grants):
        raise InvalidInput(
            N_("The account %(username)s does not hold the role needed for this."),
            params={"username": username},
            fields={field: N_("Ask an administrator to grant the role first.")},
        )
    return account


def _grant_covers(session: Session, account: UserAccount, role: Role, ward_code: str) -> bool:
    path = place_service.path_of(session, code=ward_code) or ""
    for grant in account.grants:
        if grant.role is not role:
            continue
        if grant.area_code is None:
            return True
        grant_path = place_service.path_of(session, code=grant.area_code)
        if grant_path is not None and path.startswith(grant_path):
            return True
    return False


def add_admin(session: Session, *, organisation: Organisation, username: str) -> UserAccount:
    """Make a staff account holding the org_admin role (on an area covering the organisation)
    one of the organisation's admins."""
    account = _staff_with_role(session, username=username, role=Role.ORG_ADMIN)
    if not _grant_covers(session, account, Role.ORG_ADMIN, organisation.ward_code):
        raise InvalidInput(
            N_("The account's role does not cover the organisation's ward."),
            fields={"username": N_("The account's role does not cover the organisation's ward.")},
        )
    existing = session.scalars(
        select(OrganisationAdmin).where(
            OrganisationAdmin.organisation_id == organisation.id,
            OrganisationAdmin.user_id == account.id,
        )
    ).first()
    if existing is None:
        session.add(OrganisationAdmin(organisation_id=organisation.id, user_id=account.id))
        session.flush()
    return account


def remove_admin(session: Session, *, organisation: Organisation, user_id: uuid.UUID) -> None:
    link = session.scalars(
        select(OrganisationAdmin).where(
            OrganisationAdmin.organisation_id == organisation.id,
            OrganisationAdmin.user_id == user_id,
        )
    ).first()
    if link is None:
        raise NotFound(N_("This account is not an admin of the organisation."))
    session.delete(link)
    session.flush()


def organisations_of_admin(session: Session, *, user_id: uuid.UUID) -> list[Organisation]:
    ids = list(
        session.scalars(
            select(OrganisationAdmin.organisation_id).where(OrganisationAdmin.user_id == user_id)
        )
    )
    return venue_service.get_organisations(session, ids=ids) if ids else []


# -- sector directors --------------------------------------------------------------------


@dataclass(frozen=True)
class DirectorRow:
    user_id: uuid.UUID
    username: str
    display_name: str
    sector: Sector
    area_codes: list[str]


def get_directors(session: Session, *, area_paths: Sequence[str | None]) -> list[DirectorRow]:
    """Sector directors whose grant lies inside one of the areas."""
    stmt = (
        select(SectorDirector, UserAccount)
        .join(UserAccount, UserAccount.id == SectorDirector.user_id)
        .order_by(SectorDirector.sector, UserAccount.username)
    )
    rows = []
    for link, account in session.execute(stmt):
        codes = [g.area_code or "" for g in account.grants if g.role is Role.SECTOR_DIRECTOR]
        paths = [place_service.path_of(session, code=c) if c else None for c in codes]
        inside = any(
            a is None or (p is not None and p.startswith(a)) for a in area_paths for p in paths
        )
        if inside:
            rows.append(
                DirectorRow(
                    account.id, account.username or "", account.display_name, link.sector, codes
                )
            )
    return rows


def assign_sector(
    session: Session, *, principal: Principal, username: str, sector: Sector
) -> UserAccount:
    """Let a sector director answer for a sector; their grant must lie in the caller's area."""
    account = _staff_with_role(session, username=username, role=Role.SECTOR_DIRECTOR)
    areas = [g.area_path for g in principal.grants_for(Action.ROLLOUT_MANAGE)]
    held = [
        place_service.path_of(session, code=g.area_code) if g.area_code else None
        for g in account.grants
        if g.role is Role.SECTOR_DIRECTOR
    ]
    inside = any(a is None or (p is not None and p.startswith(a)) for a in areas for p in held)
    if not inside:
        raise Forbidden(N_("The account's role is outside your area."))
    exists = session.scalars(
        select(SectorDirector).where(
            SectorDirector.user_id == account.id, SectorDirector.sector == sector
        )
    ).first()
    if exists is not None:
        raise Conflict(N_("This director already answers for the sector."))
    session.add(SectorDirector(user_id=account.id, sector=sector))
    session.flush()
    return account


def unassign_sector(session: Session, *, user_id: uuid.UUID, sector: Sector) -> None:
    link = session.scalars(
        select(SectorDirector).where(
            SectorDirector.user_id == user_id, SectorDirector.sector == sector
        )
    ).first()
    if link is None:
        raise NotFound(N_("This director does not answer for the sector."))
    session.delete(link)
    session.flush()


def parse_kind(value: str) -> OrganisationKind | None:
    key = spreadsheets.match_choice(value, kind_choices())
    return OrganisationKind(key) if key else None


def parse_sector(value: str) -> Sector | None:
    key = spreadsheets.match_choice(value, sector_choices())
    return Sector(key) if key else None
