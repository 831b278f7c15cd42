"""JSON routes of check-in: self-scan, offline batches, check-out, history, the door, counts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request
from sqlalchemy.orm import Session

from epitrace.checkins import access, flows, modes, policy, sealed
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import Presence
from epitrace.checkins.schemas import (
    BatchIn,
    BatchItemOut,
    BatchOut,
    CheckinIn,
    CheckinOut,
    CheckoutIn,
    CountsOut,
    DoorLogOut,
    DoorLogRowOut,
    DoorScanIn,
    DoorScanOut,
    HeldIn,
    ManualEntryIn,
    PresenceOut,
    VenueCountOut,
    VisitOut,
    WardCountOut,
)
from epitrace.db import utcnow
from epitrace.errors import N_, TooManyRequests
from epitrace.security import audit, ratelimit
from epitrace.security.permissions import Principal
from epitrace.venues import service as venue_service
from epitrace.web import i18n
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession
from epitrace.web.fields import Days, MedicalDate
from epitrace.web.routing import make_router

router = make_router(prefix="/api/v1", tags=["checkins"])

OUTCOME_MESSAGES = {
    checkin_service.Outcome.CHECKED_IN: N_("Checked in at %(venue)s."),
    checkin_service.Outcome.ALREADY_IN: N_("You are already checked in at %(venue)s."),
    checkin_service.Outcome.CHECKED_OUT: N_("Checked out of %(venue)s."),
    checkin_service.Outcome.ALREADY_OUT: N_("You have just checked out of %(venue)s."),
    "refused_entry": N_("Red pass: do not let this person in; call the health station."),
}


DAILY_LIMIT_REACHED = N_(
    "Today's limit of %(limit)s offline scans is reached. The phone keeps the scans and sends "
    "them tomorrow."
)


# The door speaks to the operator about the visitor, never to the visitor as "you".
DOOR_MESSAGES = {
    checkin_service.Outcome.CHECKED_IN: N_("Entry recorded: %(name)s."),
    checkin_service.Outcome.ALREADY_IN: N_("%(name)s is already inside; nothing recorded."),
    checkin_service.Outcome.CHECKED_OUT: N_("Exit recorded: %(name)s."),
    checkin_service.Outcome.ALREADY_OUT: N_("%(name)s has already left; nothing recorded."),
    "refused_entry": N_("Red pass: do not let this person in; call the health station."),
    checkin_service.Outcome.COUNTED: N_("Valid pass: entry counted (no name is recorded)."),
    checkin_service.Outcome.COUNTED_OUT: N_("Valid pass: nothing is recorded on leaving."),
}


def outcome_message(outcome: str, venue_name: str) -> str:
    return i18n.gettext(OUTCOME_MESSAGES[outcome], venue=venue_name)


def door_message(outcome: str, name: str) -> str:
    return i18n.gettext(DOOR_MESSAGES[outcome], name=name or "—")


def device_of(request: Request, given: str | None) -> str | None:
    value = given or request.headers.get("x-device-id")
    return value[:64] if value else None


def limit_rate(
    session: Session, *, kind: str, user: Principal, device: str | None, per_minute: int
) -> None:
    """Per account and per device, so one phone cannot flood under many accounts or vice versa."""
    keys = [f"{kind}-user:{user.user_id}"] + ([f"{kind}-device:{device}"] if device else [])
    ratelimit.hit_many(session, keys=keys, limit=per_minute, window_seconds=60)


def checkin_out(
    result: checkin_service.ScanResult, sealing: sealed.Sealing | None = None
) -> CheckinOut:
    return CheckinOut(
        outcome=result.outcome,
        message=outcome_message(result.outcome, result.venue.name),
        duplicate=result.duplicate,
        venue_id=result.venue.id,
        venue_name=result.venue.name,
        presences=[PresenceOut.model_validate(p) for p in result.presences],
        close_tokens=(
            sealed.tokens(sealing.secret, result.presences)
            if sealing is not None and result.outcome == checkin_service.Outcome.CHECKED_IN
            else {}
        ),
    )


def held(items: list[HeldIn]) -> list[sealed.Held]:
    return [sealed.Held(h.presence_id, h.close_token) for h in items]


@router.post("/checkins", response_model=CheckinOut, status_code=201)
def check_in(
    body: CheckinIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> CheckinOut:
    """Scan of a venue code: check in (with dependents), or check out when already inside.

    Refused (409, `on_device_mode`) when check-ins stay on the phones.
    """
    user, person_id = access.citizen(principal)
    modes.refuse_presences(settings)
    sealing = flows.sealing(session, settings, held(body.held))
    device = device_of(request, body.device_id)
    limit_rate(
        session, kind="checkin", user=user, device=device, per_minute=policy.CHECKINS_PER_MINUTE
    )
    result = flows.self_scan(
        session,
        keyring=keyring,
        token=body.token,
        person_id=person_id,
        at=utcnow(),
        dependent_ids=body.dependent_ids,
        device_id=device,
        client_key=body.client_key,
        sealing=sealing,
    )
    return checkin_out(result, sealing)


@router.post("/checkins/batch", response_model=BatchOut)
def sync_batch(
    body: BatchIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> BatchOut:
    """Scans made offline: each is accepted, recognised as sent before, or refused with a reason.

    New scans count against the account's daily budget (EPITRACE_LIMIT_BATCH_SCANS_PER_DAY):
    a batch is accepted up to it, oldest first, and the rest refused with 'daily_limit'; once
    the budget is spent, a batch with new scans is answered 429 and nothing is stored.
    Refused (409, `on_device_mode`) when check-ins stay on the phones.
    """
    user, person_id = access.citizen(principal)
    modes.refuse_presences(settings)
    device = device_of(request, body.device_id)
    limit_rate(
        session, kind="batch", user=user, device=device, per_minute=policy.BATCHES_PER_MINUTE
    )
    now = utcnow()
    sealing = flows.sealing(session, settings, held(body.held))
    limit = settings.limit_batch_scans_per_day
    window = ratelimit.local_day_window(now)
    budget_key = f"batch-scans:{user.user_id}"
    unseen = checkin_service.count_unseen(
        session, person_id=person_id, client_keys=[s.client_key for s in body.scans]
    )
    granted = ratelimit.consume(session, key=budget_key, amount=unseen, limit=limit, window=window)
    if unseen and not granted:
        raise TooManyRequests(
            DAILY_LIMIT_REACHED,
            params={"limit": limit},
            retry_after=window[1] - int(now.timestamp()),
            code="daily_limit",
        )
    results = flows.sync_batch(
        session,
        keyring=keyring,
        person_id=person_id,
        scans=[
            checkin_service.ScanIn(s.client_key, s.token, s.at, tuple(s.dependent_ids))
            for s in body.scans
        ],
        now=now,
        retention_days=settings.retention_days,
        device_id=device,
        max_age=timedelta(hours=settings.limit_scan_max_age_hours),
        budget=granted,
        sealing=sealing,
    )
    used = sum(1 for r in results if r.status == "accepted")
    ratelimit.give_back(session, key=budget_key, amount=granted - used, window=window)
    params = {
        "days": settings.retention_days,
        "hours": settings.limit_scan_max_age_hours,
        "limit": limit,
    }
    items = [
        BatchItemOut(
            client_key=r.client_key,
            status=r.status,
            outcome=r.outcome,
            reason=r.reason,
            message=i18n.gettext(r.message, **params) if r.message else None,
            venue_id=r.venue_id,
            presence_ids=r.presence_ids,
        )
        for r in results
    ]
    return BatchOut(
        accepted=sum(1 for r in items if r.status == "accepted"),
        duplicates=sum(1 for r in items if r.status == "duplicate"),
        refused=sum(1 for r in items if r.status == "refused"),
        results=items,
        retry_after=(
            window[1] - int(now.timestamp())
            if any(r.reason == "daily_limit" for r in items)
            else None
        ),
        close_tokens=(
            {
                pid: sealed.close_token(sealing.secret, pid)
                for r in results
                if r.status == "accepted" and r.outcome == checkin_service.Outcome.CHECKED_IN
                for pid in r.presence_ids
            }
            if sealing is not None
            else {}
        ),
    )


@router.get("/checkins", response_model=list[VisitOut])
def my_visits(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    days: Days = 21,
) -> list[VisitOut]:
    """The caller's (and their dependents') visits, newest first."""
    _user, person_id = access.citizen(principal)
    since = utcnow() - timedelta(days=min(days, settings.retention_days))
    return [
        VisitOut(
            presence=PresenceOut.model_validate(p),
            venue_name=v.name,
            venue_address=v.address,
            dependent_name=name,
        )
        for p, v, name in checkin_service.history(session, person_id=person_id, since=since)
    ]


@router.post("/checkins/{presence_id}/checkout", response_model=list[PresenceOut])
def check_out(
    presence_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    body: CheckoutIn | None = None,
) -> list[Presence]:
    """The check-out button: ends the visit (and the dependents' visits there)."""
    _user, person_id = access.citizen(principal)
    modes.refuse_presences(settings)
    if settings.privacy_mode == "escrow":
        return sealed.check_out(
            session,
            presence_id=presence_id,
            token=body.close_token if body and body.close_token else "",
            secret=settings.secret_key().encode(),
            at=utcnow(),
        )
    return checkin_service.check_out(
        session, person_id=person_id, presence_id=presence_id, at=utcnow()
    )


@router.post("/venues/{venue_id}/door-scans", response_model=DoorScanOut, status_code=201)
def door_scan(
    venue_id: uuid.UUID,
    body: DoorScanIn,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> DoorScanOut:
    """The operator scanned a visitor's personal pass: shows the colour and records in or out.

    In on-device mode the pass is checked and an entry counted anonymously: no name, no
    presence.
    """
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.door(session, principal, venue)
    limit_rate(
        session, kind="door", user=user, device=None, per_minute=policy.DOOR_SCANS_PER_MINUTE
    )
    if modes.on_device(settings):
        result = flows.door_count(
            session,
            keyring=keyring,
            venue=venue,
            text=body.text,
            direction=body.direction,
            now=utcnow(),
        )
    else:
        result = flows.door_scan(
            session,
            keyring=keyring,
            venue=venue,
            text=body.text,
            direction=body.direction,
            now=utcnow(),
            actor=user,
            sealing=flows.sealing(session, settings),
        )
    return DoorScanOut(
        outcome=result.outcome,
        message=door_message(result.outcome, result.name),
        colour=result.colour.label,
        name=result.name,
        presence=PresenceOut.model_validate(result.presence) if result.presence else None,
        occupancy=result.occupancy,
    )


@router.post("/venues/{venue_id}/manual-entries", response_model=PresenceOut, status_code=201)
def manual_entry(
    venue_id: uuid.UUID,
    body: ManualEntryIn,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Presence:
    """Enter a visitor without a smartphone by hand (name, phone, ID number)."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.door(session, principal, venue)
    modes.refuse_door_records(settings)
    return flows.manual_entry(
        session,
        venue=venue,
        full_name=body.full_name,
        phone=body.phone,
        id_number=body.id_number,
        at=utcnow(),
        actor=user,
        sealing=flows.sealing(session, settings),
    )


@router.post("/venues/{venue_id}/presences/{presence_id}/exit", response_model=PresenceOut)
def door_exit(
    venue_id: uuid.UUID,
    presence_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Presence:
    """The operator records that a visitor left."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    access.door(session, principal, venue)
    modes.refuse_door_records(settings)
    return checkin_service.door_exit(session, venue=venue, presence_id=presence_id, at=utcnow())


@router.get("/venues/{venue_id}/door-log", response_model=DoorLogOut)
def door_log(
    venue_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    day: MedicalDate | None = None,
) -> DoorLogOut:
    """Entries and exits of a day (today by default) and the current occupancy."""
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.door(session, principal, venue)
    log = checkin_service.door_log(
        session, venue=venue, day=day or checkin_service.local_today(), now=utcnow()
    )
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="door_log",
        subject_id=venue.id,
        purpose="door_log",
        detail={"day": log.day.isoformat(), "rows": len(log.rows)},
    )
    return DoorLogOut(
        venue_id=venue.id,
        day=log.day,
        entries=log.entries,
        exits=log.exits,
        occupancy=log.occupancy,
        rows=[
            DoorLogRowOut(presence=PresenceOut.model_validate(r.presence), name=r.name)
            for r in log.rows
        ],
    )


@router.get("/checkins/counts", response_model=CountsOut)
def checkin_counts(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    day: MedicalDate | None = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
) -> CountsOut:
    """Check-ins per venue and per ward on a day inside the caller's area (no personal data)."""
    _user, paths = access.counts(session, principal, area)
    the_day = day or checkin_service.local_today()
    venues, wards = flows.day_counts(
        session, on_device=modes.on_device(settings), day=the_day, area_paths=paths
    )
    return CountsOut(
        day=the_day,
        venues=[VenueCountOut(**v.__dict__) for v in venues],
        wards=[WardCountOut(**w.__dict__) for w in wards],
    )
