"""What the campaign pages and JSON routes share: the access check, the service call and the
audit entry of each action, and the shapes they show. Routes stay a few lines each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.alerts import access, campaign_phones, campaigns
from epitrace.alerts import dashboard as delivery
from epitrace.alerts.campaign_phones import PhoneList
from epitrace.alerts.campaigns import CampaignIn
from epitrace.alerts.models import Campaign
from epitrace.alerts.schemas import (
    CampaignOut,
    ChannelCountsOut,
    CountsOut,
    DashboardOut,
    FailureOut,
    OccurrenceOut,
    PhoneReportOut,
    PreviewOut,
    RefusedOut,
    TextPreviewOut,
    WardCountsOut,
)
from epitrace.config import Settings
from epitrace.errors import N_, Forbidden
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.web import i18n

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _audit(
    session: Session, user: Principal, action: str, campaign: Campaign, **detail: Any
) -> None:
    audit.record(
        session,
        actor=user,
        action=f"campaign.{action}",
        subject_type="campaign",
        subject_id=campaign.id,
        detail=detail or None,
    )


def load(session: Session, principal: Principal | None, campaign_id: uuid.UUID) -> Campaign:
    """A campaign the caller may read in full (those who prepare or approve campaigns)."""
    require(principal, Action.CAMPAIGNS_READ)
    campaign = campaigns.get(session, campaign_id=campaign_id)
    access.campaign_read(principal, session, campaign)
    return campaign


def load_to_manage(
    session: Session, principal: Principal | None, campaign_id: uuid.UUID
) -> tuple[Principal, Campaign]:
    require(principal, Action.CAMPAIGNS_MANAGE)
    campaign = campaigns.get(session, campaign_id=campaign_id, for_update=True)
    return access.campaign_manage(principal, session, campaign), campaign


def create(session: Session, principal: Principal | None, data: CampaignIn) -> Campaign:
    user = access.campaigns(principal, session, data.area_code)
    campaign = campaigns.create(session, data=data, created_by=user.user_id)
    _audit(session, user, "create", campaign, audience=campaign.audience_kind)
    return campaign


def update(
    session: Session, principal: Principal | None, campaign_id: uuid.UUID, data: CampaignIn
) -> Campaign:
    user, campaign = load_to_manage(session, principal, campaign_id)
    access.campaigns(user, session, data.area_code)  # and the area it moves to
    campaigns.update_campaign(session, campaign=campaign, data=data)
    _audit(session, user, "update", campaign)
    return campaign


def check_phones(
    session: Session,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    filename: str,
    content: bytes,
) -> tuple[Campaign, PhoneList]:
    """Read an uploaded list and report on it; nothing is stored."""
    _user, campaign = load_to_manage(session, principal, campaign_id)
    return campaign, campaign_phones.read(filename, content)


def store_phones(
    session: Session,
    principal: Principal | None,
    campaign_id: uuid.UUID,
    numbers: list[str],
    *,
    refused: int,
    filename: str,
) -> Campaign:
    user, campaign = load_to_manage(session, principal, campaign_id)
    stored = campaigns.store_phones(session, campaign=campaign, numbers=numbers)
    _audit(session, user, "upload", campaign, file=filename[:200], stored=stored, refused=refused)
    return campaign


def launch(
    session: Session, principal: Principal | None, campaign_id: uuid.UUID, settings: Settings
) -> Campaign:
    user, campaign = load_to_manage(session, principal, campaign_id)
    campaigns.launch(session, campaign=campaign, by=user.user_id, settings=settings)
    _audit(
        session, user, "launch", campaign, audience=campaign.audience_count, status=campaign.status
    )
    return campaign


def approve(session: Session, principal: Principal | None, campaign_id: uuid.UUID) -> Campaign:
    require(principal, Action.CAMPAIGNS_APPROVE)
    campaign = campaigns.get(session, campaign_id=campaign_id, for_update=True)
    user = access.campaign_approve(principal, session, campaign)
    campaigns.approve(session, campaign=campaign, by=user.user_id)
    _audit(session, user, "approve", campaign, audience=campaign.audience_count)
    return campaign


def pause(session: Session, principal: Principal | None, campaign_id: uuid.UUID) -> Campaign:
    user, campaign = load_to_manage(session, principal, campaign_id)
    held = campaigns.pause(session, campaign=campaign)
    _audit(session, user, "pause", campaign, held=held)
    return campaign


def resume(session: Session, principal: Principal | None, campaign_id: uuid.UUID) -> Campaign:
    user, campaign = load_to_manage(session, principal, campaign_id)
    released = campaigns.resume(session, campaign=campaign)
    _audit(session, user, "resume", campaign, released=released)
    return campaign


def cancel(session: Session, principal: Principal | None, campaign_id: uuid.UUID) -> Campaign:
    user, campaign = load_to_manage(session, principal, campaign_id)
    withdrawn = campaigns.cancel(session, campaign=campaign)
    _audit(session, user, "cancel", campaign, withdrawn=withdrawn)
    return campaign


# -- dashboards ------------------------------------------------------------------------------


@dataclass
class Shown:
    """A dashboard as both the page and the JSON route show it."""

    title: str
    scope: delivery.Scope
    board: delivery.Dashboard


def campaign_dashboard(
    session: Session, principal: Principal | None, campaign_id: uuid.UUID
) -> tuple[Campaign, Shown]:
    require(principal, Action.ALERTS_COUNTS)
    campaign = campaigns.get(session, campaign_id=campaign_id)
    wards = access.campaign_counts(principal, session, campaign)
    scope = delivery.Scope(campaign_id=campaign.id, ward_paths=wards)
    return campaign, Shown(campaign.name, scope, delivery.build(session, scope))


def kind_dashboard(
    session: Session,
    principal: Principal | None,
    *,
    area_code: str | None,
    kind: str | None,
    days: int,
    now: datetime | None = None,
) -> tuple[str, Shown]:
    """The delivery of one kind of alert (or all) in an area over the last `days` days."""
    user = require(principal, Action.ALERTS_COUNTS)
    if kind is not None and kind not in delivery.kinds():
        raise Forbidden(N_("Your role does not show the delivery of this kind of message."))
    code = area_code or next(
        (g.area_code for g in user.grants_for(Action.ALERTS_COUNTS) if g.area_code), ""
    )
    access.kind_counts(principal, session, area_code=code, kind=kind)
    path = place_service.path_of(session, code=code)
    since = (now or localtime.now_utc()) - timedelta(days=days)
    scope = delivery.Scope(kind=kind, since=since, ward_paths=[path])
    return code, Shown(code, scope, delivery.build(session, scope))


def counts_out(counts: delivery.Counts) -> CountsOut:
    return CountsOut(
        by_status=counts.by_status, total=counts.total, cost=counts.cost, delivery_rate=counts.rate
    )


def dashboard_out(board: delivery.Dashboard) -> DashboardOut:
    return DashboardOut(
        total=counts_out(board.total),
        by_channel=[
            ChannelCountsOut(channel=ch, counts=counts_out(c)) for ch, c in board.by_channel.items()
        ],
        by_ward=[
            WardCountsOut(ward_code=code, ward_name=name, counts=counts_out(c))
            for code, name, c in board.by_ward
        ],
        failures=[
            FailureOut(reason=f.reason, status=f.status, channel=f.channel, count=f.count)
            for f in board.failures
        ],
    )


# -- shapes ----------------------------------------------------------------------------------


def campaign_out(session: Session, campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        text_vi=campaign.text_vi,
        text_en=campaign.text_en,
        channel=campaign.channel,
        area_code=campaign.area_code,
        audience_kind=campaign.audience_kind,
        audience=list(campaign.audience or []),
        start=campaigns.rule_of(campaign).start,
        starts_at=campaign.starts_at,
        repeat=campaign.repeat,
        weekday=campaign.weekday,
        repeat_count=campaign.repeat_count,
        repeat_until=campaign.repeat_until,
        status=campaign.status,
        audience_count=campaign.audience_count,
        phones=campaigns.phone_count(session, campaign_id=campaign.id),
        created_by=campaign.created_by,
        approved_by=campaign.approved_by,
        approved_at=campaign.approved_at,
        launched_at=campaign.launched_at,
        occurrences=[
            OccurrenceOut(
                number=o.number, due_at=o.due_at, enqueued_at=o.enqueued_at, recipients=o.recipients
            )
            for o in campaigns.occurrences(session, campaign_id=campaign.id)
        ],
    )


def preview_out(preview: campaigns.Preview) -> PreviewOut:
    return PreviewOut(
        texts=[
            TextPreviewOut(
                locale=t.locale,
                text=t.text,
                characters=t.characters,
                segments=t.segments,
                cost=t.cost,
            )
            for t in preview.texts
        ],
        audience=preview.audience,
        cost_per_message=preview.cost_per_message,
        total_cost=preview.total_cost,
        occurrences=preview.occurrences,
        total_cost_all=preview.total_cost_all,
        needs_approval=preview.needs_approval,
    )


def refused_out(report: PhoneList) -> list[RefusedOut]:
    return [
        RefusedOut(
            line=r.line,
            value=r.value,
            reason=r.reason.value,
            reason_text=i18n.gettext(campaign_phones.REFUSAL_LABELS[r.reason]),
            first_line=r.first_line,
        )
        for r in report.refused
    ]


def report_out(report: PhoneList, *, stored: bool) -> PhoneReportOut:
    return PhoneReportOut(
        lines=report.lines,
        accepted=len(report.accepted),
        refused=refused_out(report),
        stored=stored,
    )
