"""The stories a trace starts: confirming it warns the contacts; marking a hotspot warns visitors.

Both run in the caller's transaction: the confirmation (or the hotspot mark) and the outbox
rows of its alerts are written together, so a crash leaves either both or neither. Nothing is
sent before a health officer confirms: running a trace alone alerts nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.alerts.service import Recipient
from epitrace.cases.models import Case
from epitrace.checkins.models import ManualVisitor, Presence
from epitrace.errors import N_, Conflict, InvalidInput
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.tracing import policy_store
from epitrace.tracing.models import ContactLink, HotspotAlert, Trace
from epitrace.tracing.policy import check_hotspot_window
from epitrace.venues.models import Venue

ALERT_CHANNELS = (Channel.PUSH, Channel.SMS)
# a hotspot window longer than this is surely a typing error (and would warn a whole city)


@dataclass(frozen=True)
class AlertOutcome:
    queued: int  # messages written to the outbox
    unreachable: int  # contacts without an account or a usable phone number
    already: int  # already alerted for this case (or this mark)


def _visitor_recipient(visitor: ManualVisitor | None) -> Recipient | None:
    if visitor is None:
        return None
    if visitor.person_id is not None:
        return Recipient.person(visitor.person_id)
    if not visitor.phone:
        return None
    try:
        return Recipient.phone_number(visitor.phone)
    except InvalidInput:
        return None


def confirm_trace(
    session: Session, *, case: Case, actor: Principal, now: datetime
) -> tuple[Trace, AlertOutcome]:
    """The health officer confirms the case's last trace: every F1 (and F2, by policy) is told.

    One alert per contact and level per case (`contact:<case>:f1`): confirming a later trace
    of the same case warns only the contacts it adds, and an F2 who becomes F1 gets the F1 alert.
    The message names neither the case nor, unless the policy says so, the venue.
    """
    trace = session.scalars(
        select(Trace).where(Trace.case_id == case.id).order_by(Trace.ran_at.desc()).limit(1)
    ).first()
    if trace is None:
        raise Conflict(N_("Run the trace before confirming it."))
    if trace.confirmed_at is not None:
        raise Conflict(N_("This trace was already confirmed and its contacts alerted."))
    policy = policy_store.current(session)
    rows = session.execute(
        select(ContactLink, ManualVisitor, Venue.name)
        .outerjoin(ManualVisitor, ManualVisitor.id == ContactLink.manual_visitor_id)
        .join(Venue, Venue.id == ContactLink.venue_id)
        .where(ContactLink.case_id == case.id)
        .order_by(ContactLink.level, ContactLink.exposed_at)
    ).all()
    # one alert per contact: the closest level, its earliest exposure
    first: dict[str, tuple[ContactLink, ManualVisitor | None, str]] = {}
    for link, visitor, venue_name in rows:
        first.setdefault(link.contact_key, (link, visitor, venue_name))
    groups: dict[tuple[int, str, str], list[Recipient]] = {}
    unreachable = 0
    for link, by_hand, where_seen in first.values():
        if link.level == 2 and not policy.alert_f2:
            continue
        recipient = (
            Recipient.person(link.person_id) if link.person_id else _visitor_recipient(by_hand)
        )
        if recipient is None:
            unreachable += 1
            continue
        day = localtime.to_local(link.exposed_at).strftime("%d/%m/%Y")
        where = f" ({where_seen})" if policy.alert_names_venue else ""
        groups.setdefault((link.level, day, where), []).append(recipient)
    queued = already = 0
    for (level, day, where), recipients in groups.items():
        result = alert_service.enqueue(
            session,
            recipients=recipients,
            template=f"contact_alert_f{level}",
            params={
                "day": day,
                "where": where,
                "days": policy.quarantine_days_f1 if level == 1 else policy.quarantine_days_f2,
            },
            channels=ALERT_CHANNELS,
            dedup_key=f"contact:{case.id.hex}:f{level}",
            ignore_opt_out=policy.contact_alerts_ignore_opt_out,
            now=now,
        )
        queued += result.created
        unreachable += result.skipped
        already += result.duplicates
    trace.confirmed_at = now
    trace.confirmed_by = actor.user_id
    trace.alerts_queued = queued
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="confirm",
        subject_type="trace",
        subject_id=trace.id,
        purpose="contact alerts",
        detail={"case": str(case.id), "queued": queued},
    )
    return trace, AlertOutcome(queued=queued, unreachable=unreachable, already=already)


def mark_hotspot(
    session: Session,
    *,
    venue: Venue,
    starts_at: datetime,
    ends_at: datetime,
    actor: Principal,
    now: datetime,
    note: str = "",
) -> tuple[HotspotAlert, AlertOutcome]:
    """Mark a venue and window as risky and warn everyone who checked in there during it.

    Everyone is warned, even below the F1 overlap threshold (as the NHS venue alerts did); a
    presence without check-out counts for the venue category's dwell time under the policy.
    """
    check_hotspot_window(starts_at, ends_at, now)
    policy = policy_store.current(session)
    dwell = timedelta(minutes=policy.dwell_for(venue.category.value))
    mark = HotspotAlert(
        venue_id=venue.id,
        ward_code=venue.ward_code,
        starts_at=starts_at,
        ends_at=min(ends_at, now),
        note=note.strip()[:300],
        marked_by=actor.user_id,
    )
    session.add(mark)
    session.flush()
    # open presences count for the dwell time: left_at, or entered_at + dwell
    overlapping = (
        Presence.venue_id == venue.id,
        Presence.entered_at < mark.ends_at,
        Presence.entered_at > mark.starts_at - timedelta(hours=policy.max_presence_hours),
        or_(
            Presence.left_at > mark.starts_at,
            Presence.left_at.is_(None) & (Presence.entered_at > mark.starts_at - dwell),
        ),
    )
    person_ids = {
        p
        for p in session.scalars(
            select(Presence.person_id).where(*overlapping, Presence.person_id.is_not(None))
        )
        if p is not None
    }
    visitors = session.scalars(
        select(ManualVisitor).where(
            ManualVisitor.id.in_(
                select(Presence.manual_visitor_id).where(
                    *overlapping, Presence.manual_visitor_id.is_not(None)
                )
            )
        )
    ).all()
    recipients = [Recipient.person(p) for p in sorted(person_ids)]
    unreachable = 0
    for visitor in visitors:
        recipient = _visitor_recipient(visitor)
        if recipient is None:
            unreachable += 1
        else:
            recipients.append(recipient)
    result = alert_service.enqueue(
        session,
        recipients=recipients,
        template="venue_alert",
        params={"venue": venue.name, "start": mark.starts_at, "end": mark.ends_at},
        channels=ALERT_CHANNELS,
        dedup_key=f"hotspot:{mark.id.hex}",
        now=now,
    )
    mark.visitors = result.created
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        subject_type="hotspot_alert",
        subject_id=mark.id,
        purpose="risky-venue alerts",
        detail={"venue": str(venue.id), "queued": result.created},
    )
    return mark, AlertOutcome(
        queued=result.created,
        unreachable=unreachable + result.skipped,
        already=result.duplicates,
    )


def hotspot_alerts(session: Session, *, area_path: str | None) -> list[tuple[HotspotAlert, str]]:
    """Marks in an area (None: everywhere), newest first, with their venue's name."""
    stmt = (
        select(HotspotAlert, Venue.name)
        .join(Venue, Venue.id == HotspotAlert.venue_id)
        .where(place_service.within_area(HotspotAlert.ward_code, area_path))
        .order_by(HotspotAlert.created_at.desc())
        .limit(200)
    )
    return [(mark, name) for mark, name in session.execute(stmt)]
