"""`GET /api/v1/rollout/indicators`: the stored daily indicators of an area, a sector inside
an area, or an organisation — counts and percentages only.

The routes are registered on the domain's API router.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import Query

from epitrace import localtime
from epitrace.errors import N_, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import access, indicators
from epitrace.rollout.api import router
from epitrace.rollout.models import IndicatorSnapshot, IndicatorUnit
from epitrace.rollout.schemas import IndicatorDayOut, IndicatorsOut, IndicatorUnitOut
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.venues.models import Sector
from epitrace.web.deps import CurrentPrincipal, DbSession

DEFAULT_DAYS = 7


def day_out(row: IndicatorSnapshot) -> IndicatorDayOut:
    target = indicators.signup_target(row)
    return IndicatorDayOut(
        day=row.day,
        computed_at=row.computed_at,
        population=row.population,
        smartphone_share=row.smartphone_share,
        signup_target=target,
        citizens=row.citizens,
        citizens_pct=indicators.percent_of(row.citizens, target),
        declarations=row.declarations,
        venues=row.venues,
        venues_with_poster=row.venues_with_poster,
        venues_with_poster_pct=indicators.percent_of(row.venues_with_poster, row.venues),
        venues_active=row.venues_active,
        venues_active_pct=indicators.percent_of(row.venues_active, row.venues),
        venues_door_control=row.venues_door_control,
        venues_door_control_pct=indicators.percent_of(row.venues_door_control, row.venues),
        checkins=row.checkins,
        roster_members=row.roster_members,
        roster_signed_up=row.roster_signed_up,
        roster_signed_up_pct=indicators.percent_of(row.roster_signed_up, row.roster_members),
        households=row.households,
        households_visited=row.households_visited,
        households_visited_pct=indicators.percent_of(row.households_visited, row.households),
    )


@router.get("/rollout/indicators", response_model=IndicatorsOut)
def get_indicators(
    session: DbSession,
    principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(max_length=16, description="An administrative unit.")] = None,
    sector: Annotated[Sector | None, Query(description="A sector inside the unit.")] = None,
    organisation: Annotated[uuid.UUID | None, Query(description="An organisation.")] = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> IndicatorsOut:
    """Daily indicators of an area, a sector in an area, or an organisation (counts only)."""
    last = last or localtime.today()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    indicators.days_between(first, last)  # refuses a reversed or too long range
    if organisation is not None:
        org = venue_service.get_organisation(session, organisation_id=organisation)
        access.organisation(session, principal, Action.ROLLOUT_ORG_READ, org)
        ward = place_service.get(session, code=org.ward_code)
        described = IndicatorUnitOut(
            type=IndicatorUnit.ORGANISATION.value,
            code=org.ward_code,
            name=ward.name if ward else org.ward_code,
            sector=org.sector,
            organisation_id=org.id,
            organisation_name=org.name,
        )
        rows = indicators.read(
            session,
            unit=IndicatorUnit.ORGANISATION,
            area_code=org.ward_code,
            organisation_id=org.id,
            first=first,
            last=last,
        )
        return IndicatorsOut(
            unit=described, first=first, last=last, days=[day_out(r) for r in rows]
        )
    if unit is None:
        raise InvalidInput(
            N_("Name an administrative unit or an organisation."),
            fields={"unit": N_("Required.")},
        )
    place = place_service.get(session, code=unit)
    if place is None:
        raise InvalidInput(
            N_("The unit %(code)s does not exist."),
            params={"code": unit},
            fields={"unit": N_("Choose a unit from the list of administrative units.")},
        )
    if sector is None:
        access.area(session, principal, Action.ROLLOUT_READ, unit)
        kind = IndicatorUnit.AREA
    else:
        access.sector_in_area(session, principal, unit, sector)
        kind = IndicatorUnit.SECTOR
    rows = indicators.read(
        session,
        unit=kind,
        area_code=unit,
        sector=sector.value if sector else "",
        first=first,
        last=last,
    )
    described = IndicatorUnitOut(type=kind.value, code=unit, name=place.name, sector=sector)
    return IndicatorsOut(unit=described, first=first, last=last, days=[day_out(r) for r in rows])
