"""API shapes of administrative units."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    unit_type: str
    level: int
    parent_code: str | None
    population: int | None


class PlaceDetail(PlaceOut):
    parents: list[PlaceOut]
    children_count: int


class PlaceSuggestion(BaseModel):
    code: str
    name: str
    label: str  # the name with its parents, as forms show it
    level: int
