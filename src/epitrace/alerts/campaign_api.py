"""JSON routes of campaigns (`/api/v1/campaigns`) and of the delivery dashboard
(`/api/v1/alerts/dashboard`); they mirror the pages. Registered on the alerts API router."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, UploadFile

from epitrace.alerts import campaign_views as views
from epitrace.alerts import campaigns
from epitrace.alerts.api import router
from epitrace.alerts.campaign_schedule import as_local
from epitrace.alerts.campaigns import CampaignIn
from epitrace.alerts.schemas import CampaignIn as CampaignBody
from epitrace.alerts.schemas import (
    CampaignListOut,
    CampaignOut,
    DashboardOut,
    PhoneReportOut,
    PreviewOut,
)
from epitrace.errors import N_, InvalidInput
from epitrace.rollout.spreadsheets import read_upload
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession

BASE = "/campaigns"


def _data(body: CampaignBody) -> CampaignIn:
    start = body.start
    if start.tzinfo is not None:
        try:
            start = as_local(start)
        except (OverflowError, ValueError):
            raise InvalidInput(
                N_("Choose a start within the next two years."),
                fields={"start": N_("Choose a start within the next two years.")},
            ) from None
    return CampaignIn(
        name=body.name,
        text_vi=body.text_vi,
        text_en=body.text_en,
        channel=body.channel,
        area_code=body.area_code,
        audience_kind=body.audience_kind,
        audience=tuple(body.audience),
        start=start,
        repeat=body.repeat,
        weekday=body.weekday,
        repeat_count=body.repeat_count,
        repeat_until=body.repeat_until,
    )


@router.get(BASE, response_model=CampaignListOut)
def list_campaigns(session: DbSession, principal: CurrentPrincipal) -> CampaignListOut:
    """The campaigns of the caller's areas, newest first."""
    user = require(principal, Action.CAMPAIGNS_READ)
    found = campaigns.get_all(session, area_paths=user.area_paths(Action.CAMPAIGNS_READ))
    return CampaignListOut(items=[views.campaign_out(session, c) for c in found])


@router.post(BASE, response_model=CampaignOut, status_code=201)
def create_campaign(
    body: CampaignBody, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """Prepare a campaign (a draft); its texts' placeholders are checked first (422)."""
    campaign = views.create(session, principal, _data(body))
    return views.campaign_out(session, campaign)


@router.get(BASE + "/{campaign_id}", response_model=CampaignOut)
def get_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """One campaign with its occurrences."""
    return views.campaign_out(session, views.load(session, principal, campaign_id))


@router.put(BASE + "/{campaign_id}", response_model=CampaignOut)
def update_campaign(
    campaign_id: uuid.UUID, body: CampaignBody, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """Change a draft (a campaign awaiting approval goes back to draft)."""
    campaign = views.update(session, principal, campaign_id, _data(body))
    return views.campaign_out(session, campaign)


@router.get(BASE + "/{campaign_id}/preview", response_model=PreviewOut)
def preview_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> PreviewOut:
    """The text for a sample recipient (vi, en), characters, SMS segments, cost, audience."""
    campaign = views.load(session, principal, campaign_id)
    return views.preview_out(campaigns.preview(session, campaign=campaign, settings=settings))


@router.post(BASE + "/{campaign_id}/phones", response_model=PhoneReportOut)
async def upload_phones(
    campaign_id: uuid.UUID,
    file: UploadFile,
    session: DbSession,
    principal: CurrentPrincipal,
    dry_run: Annotated[bool, Query(description="Only report; store nothing.")] = False,
) -> PhoneReportOut:
    """Read a list of numbers (CSV, XLSX, text): the refusal report, and unless `dry_run` the
    accepted numbers replace the campaign's list."""
    content = await read_upload(file)
    name = file.filename or "list.txt"
    _campaign, report = views.check_phones(session, principal, campaign_id, name, content)
    if not dry_run:
        views.store_phones(
            session,
            principal,
            campaign_id,
            report.accepted,
            refused=len(report.refused),
            filename=name,
        )
    return views.report_out(report, stored=not dry_run)


@router.post(BASE + "/{campaign_id}/launch", response_model=CampaignOut)
def launch_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> CampaignOut:
    """Launch a draft; over the approval threshold it waits for a second official."""
    return views.campaign_out(session, views.launch(session, principal, campaign_id, settings))


@router.post(BASE + "/{campaign_id}/approve", response_model=CampaignOut)
def approve_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """Approve a launched campaign (never by the official who prepared or launched it)."""
    return views.campaign_out(session, views.approve(session, principal, campaign_id))


@router.post(BASE + "/{campaign_id}/pause", response_model=CampaignOut)
def pause_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """Hold the campaign's queued messages and its next occurrences."""
    return views.campaign_out(session, views.pause(session, principal, campaign_id))


@router.post(BASE + "/{campaign_id}/resume", response_model=CampaignOut)
def resume_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """Release the held messages; occurrences due meanwhile are queued now."""
    return views.campaign_out(session, views.resume(session, principal, campaign_id))


@router.post(BASE + "/{campaign_id}/cancel", response_model=CampaignOut)
def cancel_campaign(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CampaignOut:
    """Stop the campaign; messages not yet sent are withdrawn."""
    return views.campaign_out(session, views.cancel(session, principal, campaign_id))


@router.get(BASE + "/{campaign_id}/dashboard", response_model=DashboardOut)
def campaign_dashboard(
    campaign_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> DashboardOut:
    """Delivery counts of a campaign by status, channel and ward (an official's own area)."""
    _campaign, shown = views.campaign_dashboard(session, principal, campaign_id)
    return views.dashboard_out(shown.board)


@router.get("/alerts/dashboard", response_model=DashboardOut)
def alerts_dashboard(
    session: DbSession,
    principal: CurrentPrincipal,
    area: Annotated[
        str | None, Query(max_length=16, description="A unit (default: yours).")
    ] = None,
    kind: Annotated[str | None, Query(max_length=40, description="A kind of alert.")] = None,
    days: Annotated[int, Query(ge=1, le=views.MAX_DAYS)] = views.DEFAULT_DAYS,
) -> DashboardOut:
    """Delivery counts of one kind of alert (or all) in an area over the last N days."""
    _code, shown = views.kind_dashboard(session, principal, area_code=area, kind=kind, days=days)
    return views.dashboard_out(shown.board)
