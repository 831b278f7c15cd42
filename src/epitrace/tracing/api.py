"""JSON routes: run a trace, read contacts (identities or counts), exports, risk map data."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import Response

from epitrace.cases import access
from epitrace.cases import service as case_service
from epitrace.cases.models import Case
from epitrace.db import utcnow
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.tracing import export, flows, geo, policy_store
from epitrace.tracing import service as tracing_service
from epitrace.tracing.models import HotspotAlert, Trace
from epitrace.tracing.schemas import (
    ClusterOut,
    ContactOut,
    ContactsOut,
    Evidence,
    HotspotAlertCreated,
    HotspotAlertIn,
    HotspotAlertOut,
    HotspotOut,
    TraceConfirmOut,
    TraceOut,
    WardRiskOut,
)
from epitrace.tracing.service import ContactRow
from epitrace.venues import service as venue_service
from epitrace.web import exports, i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession
from epitrace.web.fields import Days, MinPresences
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["tracing"])


def trace_out(trace: Trace) -> TraceOut:
    return TraceOut(
        trace_id=trace.id,
        case_id=trace.case_id,
        policy_version=trace.policy_version,
        window_start=trace.window_start,
        window_end=trace.window_end,
        ran_at=trace.ran_at,
        duration_ms=trace.duration_ms,
        f1_count=trace.f1_count,
        f2_count=trace.f2_count,
        confirmed_at=trace.confirmed_at,
        alerts_queued=trace.alerts_queued,
    )


def contact_out(row: ContactRow) -> ContactOut:
    return ContactOut(
        level=row.level,
        contact_key=row.contact_key,
        person_id=row.person_id,
        manual_visitor_id=row.manual_visitor_id,
        full_name=row.full_name,
        phone=row.phone,
        home_ward=row.home_ward,
        source_key=row.source_key,
        source_name=row.source_name,
        evidence=Evidence(
            contact_presence_id=row.contact_presence_id,
            source_presence_id=row.source_presence_id,
            venue_id=row.venue_id,
            venue_name=row.venue_name,
            venue_ward=row.venue_ward,
            exposed_at=row.exposed_at,
            exposure_end=row.exposure_end,
            overlap_minutes=row.overlap_minutes,
            evidence_count=row.evidence_count,
        ),
    )


def contacts_view(
    session: DbSession, principal: Principal, case: Case, ward: str | None = None
) -> ContactsOut:
    """Identities for those allowed (audited), counts for everyone else."""
    counts = tracing_service.counts(session, case=case)
    last = tracing_service.last_trace(session, case_id=case.id)
    out = ContactsOut(
        case_id=case.id,
        trace=trace_out(last) if last else None,
        f1_count=counts.f1,
        f2_count=counts.f2,
        counts_by_ward={k: list(v) for k, v in sorted(counts.by_ward.items())},
        identities=access.sees_identities(principal, session, case.ward_code),
    )
    if last is not None:
        out.f0_presences = tracing_service.presences_in_window(session, case=case, trace=last)
        if out.f0_presences == 0:
            out.warning = i18n.gettext(tracing_service.NO_CHECKINS)
    if out.identities:
        rows = tracing_service.contacts(session, case=case, ward_code=ward)
        out.f1 = [contact_out(r) for r in rows if r.level == 1]
        out.f2 = [contact_out(r) for r in rows if r.level == 2]
    audit.record(
        session,
        actor=principal,
        action="read",
        subject_type="case_contacts" if out.identities else "case_contact_counts",
        subject_id=case.id,
        purpose="contact tracing",
        detail={"ward": ward, "f1": out.f1_count, "f2": out.f2_count},
    )
    audit.record_person_read(
        session,
        actor=principal,
        person_ids=[c.person_id for c in [*out.f1, *out.f2] if c.person_id],
        purpose="contact tracing",
    )
    return out


@router.post("/cases/{case_id}/trace", response_model=ContactsOut)
def run_trace(
    case_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> ContactsOut:
    """Trace the case's F1 and F2 now (idempotent: a re-run replaces the earlier result)."""
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.manage_cases(principal, session, case.ward_code)
    tracing_service.run_trace(
        session,
        case=case,
        now=utcnow(),
        ran_by=user.user_id,
        privacy_mode=settings.privacy_mode,
    )
    return contacts_view(session, user, case)


@router.get("/cases/{case_id}/contacts", response_model=ContactsOut)
def get_contacts(
    case_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, ward: str | None = None
) -> ContactsOut:
    """The last trace's F1 and F2 with evidence; counts only for roles without identities."""
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.read_counts(principal, session, case.ward_code)
    return contacts_view(session, user, case, ward)


@router.get("/cases/{case_id}/contacts/export.{fmt}", responses=exports.RESPONSES)
def export_contacts(
    case_id: uuid.UUID,
    fmt: exports.Format,
    session: DbSession,
    principal: CurrentPrincipal,
    ward: str | None = None,
) -> Response:
    """F1/F2 list as XLSX or CSV for field teams, optionally for contacts living in one ward."""
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.read_identities(principal, session, case.ward_code)
    rows = tracing_service.contacts(session, case=case, ward_code=ward)
    table = [
        (
            f"F{r.level}",
            r.full_name,
            r.phone,
            r.id_number,
            r.birth_year,
            r.address,
            r.home_ward,
            place_service.name_of(session, r.home_ward) if r.home_ward else "",
            r.venue_name,
            r.venue_ward,
            place_service.name_of(session, r.venue_ward),
            r.exposed_at,
            r.exposure_end,
            r.overlap_minutes,
            r.source_name,
        )
        for r in rows
    ]
    audit.record(
        session,
        actor=user,
        action="export",
        subject_type="case_contacts",
        subject_id=case.id,
        purpose="contact tracing",
        detail={"format": fmt, "ward": ward, "rows": len(rows)},
    )
    audit.record_person_read(
        session,
        actor=user,
        person_ids=[r.person_id for r in rows if r.person_id],
        purpose="contact tracing export",
    )
    return exports.respond(
        fmt,
        [export.contacts_sheet(table)],
        name_parts=["tiep-xuc", str(case.id)[:8], ward],
    )


@router.get("/tracing/risk/{area_code}", response_model=list[WardRiskOut])
def ward_risk(area_code: str, session: DbSession, principal: CurrentPrincipal) -> list[Any]:
    """Cases per 100,000 residents over 7 and 14 days and the risk level of each ward."""
    access.read_counts(principal, session, area_code)
    policy = policy_store.current(session)
    rows = tracing_service.ward_risk(session, area_code=area_code, now=utcnow(), policy=policy)
    return [WardRiskOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/tracing/risk/{area_code}/geojson")
def ward_risk_geojson(
    area_code: str, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The risk map's data: one GeoJSON feature per ward (geometry null when not imported)."""
    access.read_counts(principal, session, area_code)
    policy = policy_store.current(session)
    rows = tracing_service.ward_risk(session, area_code=area_code, now=utcnow(), policy=policy)
    return geo.feature_collection(
        [
            (
                {
                    **WardRiskOut.model_validate(r, from_attributes=True).model_dump(),
                    "colour": geo.LEVEL_COLOURS[r.level],
                },
                r.geometry,
            )
            for r in rows
        ]
    )


def _period(days: int) -> tuple[Any, Any]:
    now = utcnow()
    return now - timedelta(days=days), now


@router.get("/tracing/hotspots/{area_code}", response_model=list[HotspotOut])
def hotspots(
    area_code: str,
    session: DbSession,
    principal: CurrentPrincipal,
    days: Days = 14,
    min_presences: MinPresences | None = None,
) -> list[Any]:
    """Venues with at least N presences of cases during their infectious windows."""
    access.read_counts(principal, session, area_code)
    path = place_service.path_of(session, code=area_code)
    since, until = _period(max(1, min(days, 60)))
    found = tracing_service.hotspots(
        session,
        area_path=path,
        since=since,
        until=until,
        policy=policy_store.current(session),
        min_presences=min_presences,
    )
    return [HotspotOut.model_validate(h, from_attributes=True) for h in found]


@router.get("/tracing/clusters/{area_code}", response_model=list[ClusterOut])
def clusters(
    area_code: str, session: DbSession, principal: CurrentPrincipal, days: Days = 28
) -> list[ClusterOut]:
    """Connected groups of cases linked by shared exposures."""
    access.read_counts(principal, session, area_code)
    path = place_service.path_of(session, code=area_code)
    since, until = _period(max(1, min(days, 90)))
    groups = tracing_service.clusters(session, area_path=path, since=since, until=until)
    return [
        ClusterOut(
            size=len(g.cases),
            case_ids=[c.id for c in g.cases],
            venue_ids=sorted(g.venues, key=str),
        )
        for g in groups
    ]


@router.post("/cases/{case_id}/trace/confirm", response_model=TraceConfirmOut)
def confirm_trace(
    case_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> TraceConfirmOut:
    """Confirm the case's last trace and alert its F1 (and F2 by policy); never automatic."""
    case = case_service.get_or_404(session, case_id=case_id)
    user = access.manage_cases(principal, session, case.ward_code)
    trace, outcome = flows.confirm_trace(session, case=case, actor=user, now=utcnow())
    return TraceConfirmOut(
        trace=trace_out(trace),
        queued=outcome.queued,
        unreachable=outcome.unreachable,
        already_alerted=outcome.already,
    )


def hotspot_alert_out(mark: HotspotAlert, venue_name: str) -> HotspotAlertOut:
    return HotspotAlertOut(
        id=mark.id,
        venue_id=mark.venue_id,
        venue_name=venue_name,
        ward_code=mark.ward_code,
        starts_at=mark.starts_at,
        ends_at=mark.ends_at,
        note=mark.note,
        visitors=mark.visitors,
        created_at=mark.created_at,
    )


@router.post("/tracing/hotspot-alerts", response_model=HotspotAlertCreated, status_code=201)
def mark_hotspot(
    body: HotspotAlertIn, session: DbSession, principal: CurrentPrincipal
) -> HotspotAlertCreated:
    """Mark a venue and window as risky: everyone who checked in there then is warned."""
    venue = venue_service.get_or_404(session, venue_id=body.venue_id)
    user = access.manage_cases(principal, session, venue.ward_code)
    mark, outcome = flows.mark_hotspot(
        session,
        venue=venue,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        note=body.note,
        actor=user,
        now=utcnow(),
    )
    return HotspotAlertCreated(
        alert=hotspot_alert_out(mark, venue.name),
        queued=outcome.queued,
        unreachable=outcome.unreachable,
    )


@router.get("/tracing/hotspot-alerts/{area_code}", response_model=list[HotspotAlertOut])
def hotspot_alerts(
    area_code: str, session: DbSession, principal: CurrentPrincipal
) -> list[HotspotAlertOut]:
    """The hotspot alerts sent in an area, newest first (at most 200)."""
    access.read_counts(principal, session, area_code)
    path = place_service.path_of(session, code=area_code)
    return [hotspot_alert_out(m, name) for m, name in flows.hotspot_alerts(session, area_path=path)]
