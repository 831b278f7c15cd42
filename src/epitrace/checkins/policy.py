"""Check-in policy: default dwell time per venue category and the time rules of scans.

Pure constants and arithmetic (no database). An open presence that nobody closes ends after
its venue category's dwell time: long enough to cover a normal visit, short enough that a
forgotten check-out does not make someone a contact of everyone who came later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from epitrace.venues.models import VenueCategory

DWELL_MINUTES: dict[VenueCategory, int] = {
    VenueCategory.AGENCY_OFFICE: 8 * 60,  # a working day
    VenueCategory.MARKET: 90,
    VenueCategory.SHOPPING_CENTRE: 3 * 60,
    VenueCategory.SHOP_RESTAURANT: 90,
    VenueCategory.HOTEL_LODGING: 12 * 60,  # overnight
    VenueCategory.SCHOOL: 8 * 60,
    VenueCategory.HOSPITAL_CLINIC: 4 * 60,
    VenueCategory.FACTORY: 10 * 60,  # one shift with overtime
    VenueCategory.STATION: 60,
    VenueCategory.VEHICLE: 3 * 60,  # a long bus or train ride
    VenueCategory.RELIGIOUS_EVENT: 3 * 60,
    VenueCategory.QUARANTINE_FACILITY: 24 * 60,
    VenueCategory.OTHER: 2 * 60,
}

# The longest a presence stays open: the longest dwell time, after which the sweep (every
# 5 minutes) closes it, and a day of slack. A day's exits are looked for among presences
# entered this far back, so that PostgreSQL reads only those days' partitions.
LONGEST_STAY = timedelta(minutes=max(DWELL_MINUTES.values())) + timedelta(days=1)

# A second scan of the same venue within this time is the same visit (a double tap, two
# people scanning one poster with one phone, a shaky camera): never a second presence.
DUPLICATE_WINDOW = timedelta(minutes=1)
# Phones' clocks drift; scans stamped this far ahead of the server are still accepted.
CLOCK_SKEW = timedelta(minutes=5)
# Offline uploads are chunked by the client; one request holds at most this many scans.
BATCH_MAX_SCANS = 200
# Rate limits (events per window) per account and per device.
CHECKINS_PER_MINUTE = 30
BATCHES_PER_MINUTE = 20
DOOR_SCANS_PER_MINUTE = 120


def dwell(category: VenueCategory) -> timedelta:
    return timedelta(minutes=DWELL_MINUTES[category])


def auto_leave_time(category: VenueCategory, entered_at: datetime) -> datetime:
    """When an open presence is considered over if nobody checks out."""
    return entered_at + dwell(category)


def scan_time_problem(
    at: datetime, *, now: datetime, retention_days: int, max_age: timedelta | None = None
) -> str | None:
    """Why a scan's time is refused, or None when it is acceptable.

    'future': ahead of the server beyond the clock skew; 'too_old': older than the retention
    (it would be deleted at once); 'too_late': older than an offline scan may be sent
    (EPITRACE_LIMIT_SCAN_MAX_AGE_HOURS), so a phone cannot back-date visits for weeks.
    """
    if at > now + CLOCK_SKEW:
        return "future"
    if at < now - timedelta(days=retention_days):
        return "too_old"
    if max_age is not None and at < now - max_age:
        return "too_late"
    return None
