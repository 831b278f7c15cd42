"""Staff pages of campaigns (list, form, preview, phone list with its refusal report, the
launch/approve/pause/resume/cancel actions) and of the delivery dashboard, per campaign and
per kind of alert, with its XLSX export. Registered on the alerts page router."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace.alerts import access, campaign_phones, campaigns
from epitrace.alerts import campaign_views as views
from epitrace.alerts import dashboard as delivery
from epitrace.alerts.campaign_schedule import Repeat, as_local
from epitrace.alerts.campaigns import CampaignIn
from epitrace.alerts.models import AudienceKind, Campaign, CampaignStatus, Channel
from epitrace.alerts.pages import KIND_LABELS, router
from epitrace.alerts.templates import CAMPAIGN_PLACEHOLDERS
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.errors import N_, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout.spreadsheets import read_upload
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.web import exports, i18n
from epitrace.web.deps import AppSettings, CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.templating import render

BASE = "/campaigns"
UNIT_FIELDS = 5

STATUS_LABELS = {
    CampaignStatus.DRAFT: N_("Draft"),
    CampaignStatus.AWAITING_APPROVAL: N_("Awaiting approval"),
    CampaignStatus.SCHEDULED: N_("Scheduled"),
    CampaignStatus.RUNNING: N_("Running"),
    CampaignStatus.PAUSED: N_("Paused"),
    CampaignStatus.FINISHED: N_("Finished"),
    CampaignStatus.CANCELLED: N_("Cancelled"),
}
CHANNEL_LABELS = {
    Channel.SMS: N_("SMS"),
    Channel.OTT: N_("OTT message (Zalo)"),
    Channel.PUSH: N_("App notification"),
    Channel.EMAIL: N_("E-mail"),
    Channel.INBOX: N_("Inbox only"),
}
AUDIENCE_LABELS = {
    AudienceKind.UNITS: N_("Citizens of chosen wards or districts"),
    AudienceKind.PROVINCE: N_("Every registered citizen of the province"),
    AudienceKind.ORGANISATIONS: N_("Staff of chosen organisations (rosters)"),
    AudienceKind.PHONES: N_("An uploaded list of phone numbers"),
}
REPEAT_LABELS = {
    Repeat.NONE: N_("Once"),
    Repeat.DAILY: N_("Every day"),
    Repeat.WEEKLY: N_("Every week"),
}
WEEKDAYS = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]
MESSAGE_STATUS_LABELS = {
    "queued": N_("Queued"),
    "held": N_("Held (paused)"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
    "expired": N_("Expired"),
    "skipped": N_("Skipped"),
    "cancelled": N_("Withdrawn"),
}
SHOWN_STATUSES = ("queued", "held", "sent", "delivered", "failed", "expired", "skipped")


def _labels(table: dict[Any, str]) -> dict[str, str]:
    return {str(k): i18n.gettext(v) for k, v in table.items()}


def _url(campaign_id: uuid.UUID, tail: str = "") -> str:
    return f"{BASE}/{campaign_id}{tail}"


# -- the form -------------------------------------------------------------------------------


def _values_of(campaign: Campaign | None, session: Session, user: Principal) -> dict[str, Any]:
    if campaign is None:
        start = as_local(utcnow())
        area = next((g.area_code for g in user.grants_for(Action.CAMPAIGNS_MANAGE)), "") or ""
        return {
            "name": "",
            "text_vi": "",
            "text_en": "",
            "channel": Channel.SMS.value,
            "area_code": area,
            "audience_kind": AudienceKind.UNITS.value,
            "units": [],
            "organisations": [],
            "start_date": start.date().isoformat(),
            "start_time": start.strftime("%H:%M"),
            "repeat": Repeat.NONE.value,
            "weekday": "0",
            "repeat_count": "",
            "repeat_until": "",
        }
    data = campaigns.as_input(campaign)
    kind = data.audience_kind
    return {
        "name": data.name,
        "text_vi": data.text_vi,
        "text_en": data.text_en,
        "channel": data.channel.value,
        "area_code": data.area_code,
        "audience_kind": kind.value,
        "units": list(data.audience) if kind is AudienceKind.UNITS else [],
        "organisations": list(data.audience) if kind is AudienceKind.ORGANISATIONS else [],
        "start_date": data.start.date().isoformat(),
        "start_time": data.start.strftime("%H:%M"),
        "repeat": data.repeat.value,
        "weekday": str(data.weekday if data.weekday is not None else 0),
        "repeat_count": str(data.repeat_count or ""),
        "repeat_until": data.repeat_until.isoformat() if data.repeat_until else "",
    }


def _form_page(
    request: Request,
    session: Session,
    user: Principal,
    *,
    campaign: Campaign | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    units = list(values.get("units") or [])
    units += [""] * (UNIT_FIELDS - len(units))
    organisations = venue_service.get_organisations(
        session, area_paths=user.area_paths(Action.CAMPAIGNS_MANAGE), limit=500
    )
    return render(
        request,
        "alerts/campaign_form.html",
        {
            "campaign": campaign,
            "form": {**values, "units": units[:UNIT_FIELDS]},
            "errors": errors,
            "channels": _labels(CHANNEL_LABELS),
            "audiences": _labels(AUDIENCE_LABELS),
            "repeats": _labels(REPEAT_LABELS),
            "weekdays": [i18n.gettext(w) for w in WEEKDAYS],
            "organisations": organisations,
            "placeholders": {k: i18n.gettext(v) for k, v in CAMPAIGN_PLACEHOLDERS.items()},
        },
        status_code=status_code,
    )


def _choice(value: str, kind: type[Any], field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(
            N_("Choose one of the allowed values."),
            fields={field: N_("Choose one of the allowed values.")},
        ) from None


def _parse(session: Session, values: dict[str, Any]) -> CampaignIn:
    try:
        start = datetime.combine(
            date.fromisoformat(values["start_date"]), time.fromisoformat(values["start_time"])
        )
    except ValueError:
        raise InvalidInput(
            N_("Give the start as a day and a time."),
            fields={"start_date": N_("Give the start as a day and a time.")},
        ) from None
    kind = _choice(values["audience_kind"], AudienceKind, "audience_kind")
    area = place_service.resolve(
        session, text=values["area_code"], field="area_code", leaves_only=False
    )
    audience: list[str] = []
    if kind is AudienceKind.UNITS:
        for text in values["units"]:
            code = place_service.resolve(session, text=text, field="units", leaves_only=False)
            if code:
                audience.append(code)
    elif kind is AudienceKind.ORGANISATIONS:
        audience = list(values["organisations"])
    count = values["repeat_count"].strip()
    until = values["repeat_until"].strip()
    try:
        repeat_count = int(count) if count else None
        repeat_until = date.fromisoformat(until) if until else None
        weekday = int(values["weekday"]) if values["weekday"] else None
    except ValueError:
        raise InvalidInput(
            N_("Give a number of times or a last day."),
            fields={"repeat_count": N_("Give a number of times or a last day.")},
        ) from None
    return CampaignIn(
        name=values["name"],
        text_vi=values["text_vi"],
        text_en=values["text_en"],
        channel=_choice(values["channel"], Channel, "channel"),
        area_code=area or "",
        audience_kind=kind,
        audience=tuple(audience),
        start=start,
        repeat=_choice(values["repeat"], Repeat, "repeat"),
        weekday=weekday,
        repeat_count=repeat_count,
        repeat_until=repeat_until,
    )


def _errors(exc: InvalidInput) -> dict[str, str]:
    errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
    errors["form"] = i18n.gettext(exc.message, **exc.params)
    return errors


FormText = Annotated[str, Form(max_length=1000)]
FormShort = Annotated[str, Form(max_length=300)]


def _typed(
    name: str,
    text_vi: str,
    text_en: str,
    channel: str,
    area_code: str,
    audience_kind: str,
    units: list[str] | None,
    organisations: list[str] | None,
    start_date: str,
    start_time: str,
    repeat: str,
    weekday: str,
    repeat_count: str,
    repeat_until: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "text_vi": text_vi,
        "text_en": text_en,
        "channel": channel,
        "area_code": area_code,
        "audience_kind": audience_kind,
        "units": [u[:300] for u in (units or [])[:UNIT_FIELDS]],
        "organisations": [o[:40] for o in (organisations or [])[:50]],
        "start_date": start_date,
        "start_time": start_time,
        "repeat": repeat,
        "weekday": weekday,
        "repeat_count": repeat_count,
        "repeat_until": repeat_until,
    }


# -- list and form routes ---------------------------------------------------------------------


@router.get(BASE, response_class=HTMLResponse)
def campaign_list(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.CAMPAIGNS_READ)
    found = campaigns.get_all(session, area_paths=user.area_paths(Action.CAMPAIGNS_READ))
    return render(
        request,
        "alerts/campaigns.html",
        {
            "campaigns": found,
            "statuses": _labels(STATUS_LABELS),
            "channels": _labels(CHANNEL_LABELS),
            "can_create": user.can(Action.CAMPAIGNS_MANAGE),
        },
    )


@router.get(BASE + "/new", response_class=HTMLResponse)
def campaign_new(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.CAMPAIGNS_MANAGE)
    ensure_csrf(request)
    values = _values_of(None, session, user)
    return _form_page(request, session, user, campaign=None, values=values, errors={})


@router.post(BASE, response_class=HTMLResponse)
def campaign_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: FormShort = "",
    text_vi: FormText = "",
    text_en: FormText = "",
    channel: FormShort = "sms",
    area_code: FormShort = "",
    audience_kind: FormShort = "units",
    units: Annotated[list[str] | None, Form()] = None,
    organisations: Annotated[list[str] | None, Form()] = None,
    start_date: FormShort = "",
    start_time: FormShort = "",
    repeat: FormShort = "none",
    weekday: FormShort = "",
    repeat_count: FormShort = "",
    repeat_until: FormShort = "",
) -> Response:
    user = require(principal, Action.CAMPAIGNS_MANAGE)
    values = _typed(
        name, text_vi, text_en, channel, area_code, audience_kind, units, organisations,
        start_date, start_time, repeat, weekday, repeat_count, repeat_until,
    )  # fmt: skip
    try:
        campaign = views.create(session, principal, _parse(session, values))
    except InvalidInput as exc:
        session.rollback()
        return _form_page(
            request,
            session,
            user,
            campaign=None,
            values=values,
            errors=_errors(exc),
            status_code=exc.status_code,
        )
    flash(request, i18n.gettext("The campaign was saved as a draft. Check the preview."))
    return RedirectResponse(_url(campaign.id), status_code=303)


@router.get(BASE + "/{campaign_id}/edit", response_class=HTMLResponse)
def campaign_edit(
    campaign_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user, campaign = views.load_to_manage(session, principal, campaign_id)
    ensure_csrf(request)
    values = _values_of(campaign, session, user)
    values["units"] = [place_service.label_of(session, c) for c in values["units"]]
    return _form_page(request, session, user, campaign=campaign, values=values, errors={})


@router.post(BASE + "/{campaign_id}/edit", response_class=HTMLResponse)
def campaign_update(
    campaign_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: FormShort = "",
    text_vi: FormText = "",
    text_en: FormText = "",
    channel: FormShort = "sms",
    area_code: FormShort = "",
    audience_kind: FormShort = "units",
    units: Annotated[list[str] | None, Form()] = None,
    organisations: Annotated[list[str] | None, Form()] = None,
    start_date: FormShort = "",
    start_time: FormShort = "",
    repeat: FormShort = "none",
    weekday: FormShort = "",
    repeat_count: FormShort = "",
    repeat_until: FormShort = "",
) -> Response:
    user, campaign = views.load_to_manage(session, principal, campaign_id)
    values = _typed(
        name, text_vi, text_en, channel, area_code, audience_kind, units, organisations,
        start_date, start_time, repeat, weekday, repeat_count, repeat_until,
    )  # fmt: skip
    try:
        views.update(session, principal, campaign_id, _parse(session, values))
    except InvalidInput as exc:
        session.rollback()
        return _form_page(
            request,
            session,
            user,
            campaign=campaign,
            values=values,
            errors=_errors(exc),
            status_code=exc.status_code,
        )
    flash(request, i18n.gettext("The campaign was saved as a draft. Check the preview."))
    return RedirectResponse(_url(campaign_id), status_code=303)


# -- one campaign: preview, audience, actions ------------------------------------------------


def _detail(
    request: Request,
    session: Session,
    principal: Principal | None,
    campaign: Campaign,
    settings: Settings,
    *,
    report: campaign_phones.PhoneList | None = None,
    filename: str = "",
) -> HTMLResponse:
    user = require(principal, Action.CAMPAIGNS_READ)
    status = CampaignStatus(campaign.status)
    kind = AudienceKind(campaign.audience_kind)
    if kind is AudienceKind.UNITS:
        audience_names = [place_service.label_of(session, c) for c in campaign.audience]
    elif kind is AudienceKind.ORGANISATIONS:
        ids = [uuid.UUID(i) for i in campaign.audience]
        audience_names = [o.name for o in venue_service.get_organisations(session, ids=ids)]
    else:
        audience_names = []
    may_manage = user.can(Action.CAMPAIGNS_MANAGE)
    may_approve = (
        user.can(Action.CAMPAIGNS_APPROVE)
        and status is CampaignStatus.AWAITING_APPROVAL
        and user.user_id not in (campaign.created_by, campaign.launched_by)
    )
    return render(
        request,
        "alerts/campaign.html",
        {
            "campaign": campaign,
            "status": status.value,
            "statuses": _labels(STATUS_LABELS),
            "channels": _labels(CHANNEL_LABELS),
            "audiences": _labels(AUDIENCE_LABELS),
            "repeats": _labels(REPEAT_LABELS),
            "weekdays": [i18n.gettext(w) for w in WEEKDAYS],
            "rule": campaigns.rule_of(campaign),
            "area_name": place_service.name_of(session, campaign.area_code),
            "audience_names": audience_names,
            "phones": campaigns.phone_count(session, campaign_id=campaign.id),
            "preview": campaigns.preview(session, campaign=campaign, settings=settings),
            "occurrences": campaigns.occurrences(session, campaign_id=campaign.id),
            "threshold": settings.campaign_approval_threshold,
            "editable": may_manage and status in campaigns.EDITABLE,
            "may_manage": may_manage,
            "may_approve": may_approve,
            "own": user.user_id in (campaign.created_by, campaign.launched_by),
            "report": report,
            "refusals": {
                str(k): i18n.gettext(v) for k, v in campaign_phones.REFUSAL_LABELS.items()
            },
            "filename": filename,
        },
    )


@router.get(BASE + "/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    campaign_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response:
    campaign = views.load(session, principal, campaign_id)
    ensure_csrf(request)
    return _detail(request, session, principal, campaign, settings)


@router.post(BASE + "/{campaign_id}/phones/check", response_class=HTMLResponse)
async def phones_check(
    campaign_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    file: UploadFile,
) -> Response:
    """Read an uploaded list and show the refusal report; nothing is stored yet."""
    content = await read_upload(file)
    name = (file.filename or "list.txt")[:200]
    campaign, report = views.check_phones(session, principal, campaign_id, name, content)
    return _detail(request, session, principal, campaign, settings, report=report, filename=name)


@router.post(BASE + "/{campaign_id}/phones")
def phones_store(
    campaign_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    numbers: Annotated[str, Form(max_length=3_000_000)] = "",
    refused: Annotated[int, Form(ge=0)] = 0,
    filename: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Store the accepted numbers of a checked list (they are checked again)."""
    views.store_phones(
        session, principal, campaign_id, numbers.split(), refused=refused, filename=filename
    )
    flash(request, i18n.gettext("The accepted numbers were stored."))
    return RedirectResponse(_url(campaign_id), status_code=303)


def _action(request: Request, campaign_id: uuid.UUID, message: str) -> RedirectResponse:
    flash(request, i18n.gettext(message))
    return RedirectResponse(_url(campaign_id), status_code=303)


@router.post(BASE + "/{campaign_id}/launch")
def campaign_launch(
    campaign_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response:
    campaign = views.launch(session, principal, campaign_id, settings)
    if campaign.status == CampaignStatus.AWAITING_APPROVAL:
        return _action(
            request, campaign_id, N_("The campaign waits for a second official's approval.")
        )
    return _action(request, campaign_id, N_("The campaign was launched."))


@router.post(BASE + "/{campaign_id}/approve")
def campaign_approve(
    campaign_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    views.approve(session, principal, campaign_id)
    return _action(request, campaign_id, N_("The campaign was approved and launched."))


@router.post(BASE + "/{campaign_id}/pause")
def campaign_pause(
    campaign_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    views.pause(session, principal, campaign_id)
    return _action(request, campaign_id, N_("The campaign was paused."))


@router.post(BASE + "/{campaign_id}/resume")
def campaign_resume(
    campaign_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    views.resume(session, principal, campaign_id)
    return _action(request, campaign_id, N_("The campaign was resumed."))


@router.post(BASE + "/{campaign_id}/cancel")
def campaign_cancel(
    campaign_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    views.cancel(session, principal, campaign_id)
    return _action(request, campaign_id, N_("The campaign was cancelled."))


# -- dashboards -----------------------------------------------------------------------------

Show = Annotated[str, Query(max_length=10, description="'failures' lists the failed messages.")]


def _chart(board: delivery.Dashboard) -> dict[str, Any]:
    return {
        "channels": list(board.by_channel),
        "statuses": list(SHOWN_STATUSES),
        "counts": {
            s: [c.by_status.get(s, 0) for c in board.by_channel.values()] for s in SHOWN_STATUSES
        },
    }


def _dashboard_page(
    request: Request,
    session: Session,
    shown: views.Shown,
    *,
    heading: str,
    here: str,
    export: str,
    show: str,
    extra: dict[str, Any],
) -> HTMLResponse:
    board = shown.board
    return render(
        request,
        "alerts/dashboard.html",
        {
            "heading": heading,
            "board": board,
            "here": here,
            "export": export,
            "chart": _chart(board),
            "statuses": SHOWN_STATUSES,
            "status_labels": _labels(MESSAGE_STATUS_LABELS),
            "channels": _labels(CHANNEL_LABELS),
            "failed": delivery.failed_rows(session, shown.scope) if show == "failures" else None,
            **extra,
        },
    )


@router.get(BASE + "/{campaign_id}/dashboard", response_class=HTMLResponse)
def campaign_dashboard(
    campaign_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    show: Show = "",
) -> Response:
    campaign, shown = views.campaign_dashboard(session, principal, campaign_id)
    return _dashboard_page(
        request,
        session,
        shown,
        heading=i18n.gettext("Delivery of the campaign %(name)s", name=campaign.name),
        here=_url(campaign.id, "/dashboard"),
        export=_url(campaign.id, "/dashboard.xlsx"),
        show=show,
        extra={
            "campaign": campaign,
            "kinds": None,
            "can_read": principal is not None and principal.can(Action.CAMPAIGNS_READ),
        },
    )


def _sheets(shown: views.Shown, session: Session) -> list[exports.Sheet]:
    board = shown.board
    labels = _labels(MESSAGE_STATUS_LABELS)
    status_headers = [labels[s] for s in SHOWN_STATUSES]

    def figures(c: delivery.Counts) -> list[Any]:
        return [
            *(c.by_status.get(s, 0) for s in SHOWN_STATUSES),
            c.total,
            c.rate if c.rate is not None else "",
            c.cost,
        ]

    tail = ["Tổng", "Tỷ lệ đã nhận (%)", "Chi phí (đồng)"]
    channels = _labels(CHANNEL_LABELS)
    return [
        exports.Sheet(
            "Theo kênh",
            ["Kênh", *status_headers, *tail],
            [[channels.get(ch, ch), *figures(c)] for ch, c in board.by_channel.items()],
        ),
        exports.Sheet(
            "Theo phường",
            ["Phường/xã", *status_headers, *tail],
            [[name or "—", *figures(c)] for _code, name, c in board.by_ward],
        ),
        exports.Sheet(
            "Không gửi được",
            ["Số điện thoại", "Phường/xã", "Kênh", "Trạng thái", "Lý do", "Thời điểm"],
            [
                [
                    r.phone,
                    r.ward,
                    channels.get(r.channel, r.channel),
                    labels.get(r.status, r.status),
                    r.reason,
                    r.at,
                ]
                for r in delivery.failed_rows(session, shown.scope, limit=10_000)
            ],
        ),
    ]


@router.get(BASE + "/{campaign_id}/dashboard.{fmt}", responses=exports.RESPONSES)
def campaign_dashboard_export(
    campaign_id: uuid.UUID, fmt: exports.Format, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """The dashboard's tables (XLSX: by channel, by ward, failures; CSV: by ward)."""
    campaign, shown = views.campaign_dashboard(session, principal, campaign_id)
    return exports.respond(
        fmt, _sheets(shown, session), name_parts=["chien-dich", campaign.name], csv_sheet=1
    )


KindParam = Annotated[str, Query(max_length=40, description="A kind of alert ('' = all).")]
AreaParam = Annotated[str, Query(max_length=16, description="A unit (default: yours).")]
DaysParam = Annotated[int, Query(ge=1, le=views.MAX_DAYS)]


def _default_kind(user: Principal, kind: str) -> str | None:
    if kind:
        return kind
    # a health officer's dashboard opens on contact alerts (their own)
    roles = {g.role.value for g in user.grants_for(Action.ALERTS_COUNTS)}
    return "contact_alert" if roles == {"health_officer"} else None


@router.get("/alerts/dashboard", response_class=HTMLResponse)
def alerts_dashboard(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    area: AreaParam = "",
    kind: KindParam = "",
    days: DaysParam = views.DEFAULT_DAYS,
    show: Show = "",
) -> Response:
    user = require(principal, Action.ALERTS_COUNTS)
    chosen = _default_kind(user, kind)
    code, shown = views.kind_dashboard(
        session, principal, area_code=area or None, kind=chosen, days=days
    )
    shown_kinds = delivery.kinds()
    if _default_kind(user, "") is not None:  # a health officer: their own alerts' kinds
        shown_kinds = [k for k in shown_kinds if k in access.HEALTH_KINDS]
    kind_labels = {k: i18n.gettext(KIND_LABELS.get(k, k)) for k in shown_kinds}
    heading = i18n.gettext(
        "Delivery of %(kind)s in %(area)s",
        kind=kind_labels.get(chosen or "", i18n.gettext("every alert")),
        area=place_service.name_of(session, code),
    )
    query = f"?area={code}&kind={chosen or ''}&days={days}"
    return _dashboard_page(
        request,
        session,
        shown,
        heading=heading,
        here="/alerts/dashboard" + query,
        export="/alerts/dashboard.xlsx" + query,
        show=show,
        extra={
            "campaign": None,
            "kinds": kind_labels,
            "kind": chosen or "",
            "area": code,
            "days": days,
        },
    )


@router.get("/alerts/dashboard.{fmt}", responses=exports.RESPONSES)
def alerts_dashboard_export(
    fmt: exports.Format,
    session: DbSession,
    principal: CurrentPrincipal,
    area: AreaParam = "",
    kind: KindParam = "",
    days: DaysParam = views.DEFAULT_DAYS,
) -> Response:
    user = require(principal, Action.ALERTS_COUNTS)
    chosen = _default_kind(user, kind)
    code, shown = views.kind_dashboard(
        session, principal, area_code=area or None, kind=chosen, days=days
    )
    return exports.respond(
        fmt, _sheets(shown, session), name_parts=["gui-tin", chosen, code], csv_sheet=1
    )
