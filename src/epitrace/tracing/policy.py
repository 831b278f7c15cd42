"""The tracing policy: thresholds, dwell times, windows and risk levels, versioned in the database.

The default dwell times (how long an open presence is taken to last) are check-in's
`DWELL_MINUTES`, the table its automatic check-out uses; a policy version may override them for
tracing. Everything here is pure (no database); `service` stores and loads versions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from epitrace.checkins.policy import DWELL_MINUTES
from epitrace.errors import N_, InvalidInput
from epitrace.venues.models import VenueCategory

# Minimum overlap (minutes) for F1; 0 means any overlap at all.
OVERLAP_MINUTES: dict[VenueCategory, int] = dict.fromkeys(VenueCategory, 15) | {
    VenueCategory.VEHICLE: 0,
}


@dataclass(frozen=True)
class RiskLevel:
    level: int  # 1 green, 2 yellow, 3 orange, 4 red
    min_per_100k: float  # cases per 100,000 residents over `risk_days`, inclusive


@dataclass(frozen=True)
class Policy:
    """One version of the rules. Durations are in minutes, days or hours as named."""

    version: int = 0
    # F0 is infectious from this many days before onset (or the sample if no symptoms)...
    infectious_days_before: int = 2
    # ...until isolation; with no isolation recorded, until the trace runs.
    dwell_minutes: dict[str, int] = field(
        default_factory=lambda: {c.value: m for c, m in DWELL_MINUTES.items()}
    )
    overlap_minutes: dict[str, int] = field(
        default_factory=lambda: {c.value: m for c, m in OVERLAP_MINUTES.items()}
    )
    small_room_overlap_minutes: int = 0
    # A presence counts for at most this long, however late its check-out (a forgotten
    # check-out must not make someone a contact of everybody for days).
    max_presence_hours: int = 72
    quarantine_days_f0: int = 14
    quarantine_days_f1: int = 14
    quarantine_days_f2: int = 7
    test_days_f1: tuple[int, ...] = (1, 7, 14)  # days of quarantine on which a test is due
    test_days_f0: tuple[int, ...] = (7, 14)
    contact_status_days: int = 14  # a link colours the contact's pass for this long
    hotspot_min_cases: int = 2
    # Contact alerts (sent when a health officer confirms a trace): whether the message names
    # the venue of the exposure (never the case), whether F2 are warned too, and whether the
    # alert reaches numbers that replied STOP (an order of the health authority may require it).
    alert_names_venue: bool = False
    alert_f2: bool = True
    contact_alerts_ignore_opt_out: bool = False
    risk_days: tuple[int, int] = (7, 14)
    # Levels by cases per 100,000 residents over the last 14 days.
    risk_levels: tuple[RiskLevel, ...] = (
        RiskLevel(1, 0),
        RiskLevel(2, 20),
        RiskLevel(3, 50),
        RiskLevel(4, 150),
    )

    def dwell_for(self, category: str) -> int:
        return self.dwell_minutes.get(category, self.dwell_minutes.get("other", 60))

    def threshold_for(self, category: str, *, small_room: bool) -> int:
        if small_room:
            return self.small_room_overlap_minutes
        return self.overlap_minutes.get(category, 15)

    def infectious_window(
        self,
        *,
        onset_at: datetime | None,
        sampled_at: datetime,
        isolated_at: datetime | None,
        as_of: datetime,
    ) -> tuple[datetime, datetime]:
        start = (onset_at or sampled_at) - timedelta(days=self.infectious_days_before)
        end = min(isolated_at, as_of) if isolated_at is not None else as_of
        return start, max(start, end)

    def risk_level(self, per_100k: float) -> int:
        level = 1
        for rule in sorted(self.risk_levels, key=lambda r: r.min_per_100k):
            if per_100k >= rule.min_per_100k:
                level = rule.level
        return level

    def to_settings(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("version")
        data["test_days_f1"] = list(self.test_days_f1)
        data["test_days_f0"] = list(self.test_days_f0)
        data["risk_days"] = list(self.risk_days)
        data["risk_levels"] = [asdict(r) for r in self.risk_levels]
        return data

    @classmethod
    def from_settings(cls, version: int, settings: dict[str, Any]) -> Policy:
        base = cls()
        data: dict[str, Any] = {}
        for name in base.to_settings():
            if name not in settings:
                continue
            value = settings[name]
            if name == "risk_levels":
                value = tuple(RiskLevel(int(r["level"]), float(r["min_per_100k"])) for r in value)
            elif name in ("test_days_f1", "test_days_f0", "risk_days"):
                value = tuple(int(v) for v in value)
            elif name in ("alert_names_venue", "alert_f2", "contact_alerts_ignore_opt_out"):
                value = bool(value)
            elif name in ("dwell_minutes", "overlap_minutes"):
                value = {**getattr(base, name), **{str(k): int(v) for k, v in value.items()}}
            data[name] = value
        return cls(version=version, **data)


DEFAULT_POLICY = Policy()


# -- hotspot windows: a venue and a time marked as risky (tracing's venue alerts, and the
# on-device mode's signed notices) ---------------------------------------------------------

MAX_HOTSPOT_WINDOW = timedelta(days=14)


def check_hotspot_window(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """Refuse a window that ends before it starts, is longer than 14 days or starts later."""
    if ends_at <= starts_at:
        raise InvalidInput(
            N_("The end of the window must be after its start."),
            fields={"ends_at": N_("The end must be after the start.")},
        )
    if ends_at - starts_at > MAX_HOTSPOT_WINDOW:
        raise InvalidInput(
            N_("A hotspot window can be at most 14 days long."),
            fields={"ends_at": N_("At most 14 days after the start.")},
        )
    if starts_at > now:
        raise InvalidInput(
            N_("A hotspot window cannot start in the future."),
            fields={"starts_at": N_("This time is in the future.")},
        )
