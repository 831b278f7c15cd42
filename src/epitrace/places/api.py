"""JSON routes for administrative units."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from sqlalchemy import func, select

from epitrace.places import access
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.places.schemas import PlaceDetail, PlaceOut, PlaceSuggestion
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1/places", tags=["places"])


@router.get("", response_model=list[PlaceOut])
def list_roots(
    session: DbSession, principal: CurrentPrincipal, q: str | None = None
) -> list[AdminUnit]:
    """Top-level units (provinces), or units matching `q` by name or code."""
    access.can_read(principal)
    if q:
        return place_service.search(session, query=q)
    return place_service.get_children(session, code=None)


@router.get("/suggest", response_model=list[PlaceSuggestion])
def suggest(
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Literal["ward", "any"] = "any",
) -> list[PlaceSuggestion]:
    """Units whose name contains every word typed, with or without diacritics, best first."""
    access.can_read(principal)
    found = place_service.suggest(session, query=q, leaves_only=kind == "ward")
    return [PlaceSuggestion(code=e.code, name=e.name, label=e.label, level=e.level) for e in found]


@router.get("/{code}", response_model=PlaceDetail)
def get_place(code: str, session: DbSession, principal: CurrentPrincipal) -> PlaceDetail:
    """One unit with its chain of parents from the root down."""
    access.can_read(principal)
    unit = place_service.get_or_404(session, code=code)
    parents = place_service.get_ancestors(session, code=code)
    children = session.scalar(
        select(func.count()).select_from(AdminUnit).where(AdminUnit.parent_code == code)
    )
    return PlaceDetail(
        **PlaceOut.model_validate(unit).model_dump(),
        parents=[PlaceOut.model_validate(p) for p in parents],
        children_count=children or 0,
    )


@router.get("/{code}/children", response_model=list[PlaceOut])
def get_children(code: str, session: DbSession, principal: CurrentPrincipal) -> list[AdminUnit]:
    """The units directly below this one."""
    access.can_read(principal)
    place_service.get_or_404(session, code=code)
    return place_service.get_children(session, code=code)
