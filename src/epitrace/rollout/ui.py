"""Helpers shared by the rollout pages: translated labels, ward pickers, names of units."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import rosters
from epitrace.security.permissions import Principal
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.web import i18n


def kind_labels() -> dict[str, str]:
    return {k.value: i18n.gettext(m) for k, m in venue_service.ORGANISATION_KIND_NAMES.items()}


def sector_labels() -> dict[str, str]:
    return {s.value: i18n.gettext(m) for s, m in venue_service.SECTOR_NAMES.items()}


def roster_kind_labels() -> dict[str, str]:
    return {k.value: i18n.gettext(m) for k, m in rosters.KIND_NAMES.items()}


def wards_for(session: Session, principal: Principal, action: Action) -> list[AdminUnit]:
    """The wards (leaf units) inside the principal's grants for an action, by path."""
    seen: dict[str, AdminUnit] = {}
    for grant in principal.grants_for(action):
        for unit in place_service.leaf_units(session, area_path=grant.area_path):
            seen.setdefault(unit.code, unit)
    return sorted(seen.values(), key=lambda u: u.path)


def ward_names(session: Session, codes: set[str]) -> dict[str, str]:
    return {code: unit.name for code in codes if (unit := place_service.get(session, code=code))}
