"""A population of simulated phones moving between venues, for end-to-end checks of the system.

Devices visit venues over several days; co-located devices hear each other's payloads every
scan with an RSSI that falls with distance; some devices become cases and upload their keys
through a `KeyServer` (the real API or service); then every device downloads the export files,
verifies them and matches. The ground truth is the same risk score computed from the true
distances, so precision and recall measure the whole chain (keys, upload, export, signature,
matching with clock drift, metadata decryption, windows and scoring).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from epitrace.exposure.device import Device, RiskPolicy
from epitrace.exposure.exportfile import ExportKey, ReportType

SCAN_SECONDS = 300  # phones scan every 5 minutes (the EN duty cycle)


class KeyServer(Protocol):
    """What a simulation needs from the key server."""

    def issue_code(self, *, test_date: date, onset_date: date | None) -> str: ...

    def upload(self, code: str, keys: list[ExportKey]) -> None: ...

    def publish(self, now: datetime) -> None: ...

    def exports(self) -> list[bytes]: ...

    def public_key(self) -> ec.EllipticCurvePublicKey: ...


def attenuation_at(distance_m: float) -> float:
    """Path loss (dB) at a distance: 45 dB at 1 m, 30 dB more per decade (indoor model)."""
    return 45.0 + 30.0 * math.log10(max(distance_m, 0.3))


@dataclass
class Visit:
    venue: int
    start: datetime
    end: datetime
    position: tuple[float, float]


@dataclass
class SimDevice:
    index: int
    device: Device
    clock_offset: timedelta
    visits: list[Visit] = field(default_factory=list)
    is_case: bool = False


@dataclass(frozen=True)
class SimulationResult:
    devices: int
    cases: int
    truth: dict[int, float]  # device index -> highest true daily score
    # the same score if every RSSI erred against (low) or for (high) the device by 3 σ and
    # clock drift moved early-morning scans to the day before: bounds a correct phone can reach
    truth_low: dict[int, float]
    truth_high: dict[int, float]
    alerted: set[int]
    positives: set[int]
    threshold: float

    @property
    def true_positives(self) -> int:
        return len(self.alerted & self.positives)

    @property
    def precision(self) -> float:
        return self.true_positives / len(self.alerted) if self.alerted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / len(self.positives) if self.positives else 1.0

    def summary(self) -> str:
        return (
            f"devices={self.devices} cases={self.cases} exposed(true)={len(self.positives)} "
            f"alerted={len(self.alerted)} true_positives={self.true_positives} "
            f"precision={self.precision:.3f} recall={self.recall:.3f}"
        )


@dataclass
class Simulation:
    devices: int = 40
    venues: int = 6
    days: int = 4
    cases: int = 3
    seed: int = 7
    venue_size_m: float = 20.0
    rssi_noise_db: float = 2.0
    max_clock_drift_minutes: int = 60
    policy: RiskPolicy = field(default_factory=RiskPolicy)
    population: list[SimDevice] = field(default_factory=list)

    def run(
        self,
        server: KeyServer,
        *,
        now: datetime | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> SimulationResult:
        now = now or datetime.now(UTC)
        rng = random.Random(self.seed)  # noqa: S311 - a reproducible simulation, not secrets
        say = progress or (lambda _message: None)
        end_day = now.date()
        first_day = end_day - timedelta(days=self.days - 1)
        self.population = [
            SimDevice(
                index=i,
                device=Device(
                    tx_power=rng.randint(-12, -4),
                    random_bytes=lambda n: rng.getrandbits(8 * n).to_bytes(n, "big"),
                ),
                clock_offset=timedelta(
                    minutes=rng.randint(-self.max_clock_drift_minutes, self.max_clock_drift_minutes)
                ),
            )
            for i in range(self.devices)
        ]
        for day_number in range(self.days):
            day = first_day + timedelta(days=day_number)
            for sim in self.population:
                sim.visits.extend(self._plan_day(rng, day, latest=now))
        cases = rng.sample(self.population, self.cases)
        for sim in cases:
            sim.is_case = True
        say("exchanging payloads")
        truth_scans = self._exchange(rng, now)
        say("uploading keys of the cases")
        onset = end_day - timedelta(days=1)
        for sim in cases:
            keys = sim.device.keys_for_upload(now + sim.clock_offset)
            if not keys:
                # a phone with nothing to share uploads nothing (the server refuses an empty
                # upload); seen when a device's skewed clock puts all its keys out of range
                continue
            code = server.issue_code(test_date=end_day, onset_date=onset)
            server.upload(code, keys)
        say("publishing export files")
        server.publish(now + timedelta(days=1))
        exports = server.exports()
        public_key = server.public_key()
        say(f"matching on {len(self.population)} devices")
        alerted = set()
        for sim in self.population:
            days = sim.device.check(exports, public_key=public_key, policy=self.policy)
            if any(d.exposed for d in days):
                alerted.add(sim.index)
        case_ids = {s.index for s in cases}
        truth = self._truth(truth_scans, case_ids, onset)
        margin = 3 * self.rssi_noise_db
        truth_low = self._truth(truth_scans, case_ids, onset, shift_db=margin, early="drop")
        truth_high = self._truth(truth_scans, case_ids, onset, shift_db=-margin, early="both")
        threshold = self.policy.daily_threshold
        positives = {i for i, score in truth.items() if score >= threshold}
        return SimulationResult(
            devices=self.devices,
            cases=self.cases,
            truth=truth,
            truth_low=truth_low,
            truth_high=truth_high,
            alerted=alerted,
            positives=positives,
            threshold=threshold,
        )

    def _plan_day(self, rng: random.Random, day: date, *, latest: datetime) -> list[Visit]:
        """One to three visits between 07:00 and 21:00 Viet Nam time, on the 5-minute grid."""
        visits = []
        # 07:00 in Viet Nam is 00:00 UTC
        cursor = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=5 * rng.randint(0, 36)
        )
        for _ in range(rng.randint(1, 3)):
            length = timedelta(minutes=5 * rng.randint(4, 30))
            end = cursor + length
            if end > latest - timedelta(minutes=10):
                break
            size = self.venue_size_m
            visits.append(
                Visit(
                    venue=rng.randrange(self.venues),
                    start=cursor,
                    end=end,
                    position=(rng.uniform(0, size), rng.uniform(0, size)),
                )
            )
            cursor = end + timedelta(minutes=5 * rng.randint(2, 24))
        return visits

    def _exchange(
        self, rng: random.Random, now: datetime
    ) -> dict[tuple[int, int], list[tuple[datetime, float]]]:
        """Every scan tick, co-located devices hear each other; returns the true attenuations."""
        ticks: dict[datetime, dict[int, list[tuple[SimDevice, Visit]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        step = timedelta(seconds=SCAN_SECONDS)
        for sim in self.population:
            for visit in sim.visits:
                t = visit.start
                while t < visit.end:
                    ticks[t][visit.venue].append((sim, visit))
                    t += step
        truth: dict[tuple[int, int], list[tuple[datetime, float]]] = defaultdict(list)
        for t in sorted(ticks):
            for present in ticks[t].values():
                if len(present) < 2:
                    continue
                payloads = {s.index: s.device.payload(t + s.clock_offset) for s, _ in present}
                for listener, where in present:
                    for speaker, there in present:
                        if speaker is listener:
                            continue
                        distance = math.dist(where.position, there.position)
                        true_attenuation = attenuation_at(distance)
                        noise = rng.gauss(0.0, self.rssi_noise_db)
                        rssi = round(speaker.device.tx_power - true_attenuation + noise)
                        listener.device.record(
                            payloads[speaker.index],
                            rssi=rssi,
                            at=t + listener.clock_offset,
                            seconds_since_last_scan=SCAN_SECONDS,
                        )
                        truth[(listener.index, speaker.index)].append((t, true_attenuation))
                for listener, _ in present:
                    listener.device.scan_done(t + listener.clock_offset)
        return truth

    def _truth(
        self,
        scans: dict[tuple[int, int], list[tuple[datetime, float]]],
        cases: set[int],
        onset: date,
        *,
        shift_db: float = 0.0,
        early: str = "keep",
    ) -> dict[int, float]:
        """Highest daily score each device gets from exact distances and clocks.

        `shift_db` adds to every attenuation; `early` says what to do with scans in the first
        `max_clock_drift_minutes` of a UTC day, which a drifting clock may place on the day
        before: "keep" them, "drop" them, or count them on "both" days.
        """
        policy = self.policy
        report_weight = policy.report_type_weight(ReportType.CONFIRMED_TEST)
        drift = timedelta(minutes=self.max_clock_drift_minutes)
        daily: dict[tuple[int, date], float] = defaultdict(float)
        for (listener, speaker), heard in scans.items():
            if speaker not in cases:
                continue
            for t, attenuation in heard:
                dso = max(-14, min(14, (t.date() - onset).days))
                score = (
                    SCAN_SECONDS
                    * policy.bucket_weight(round(attenuation + shift_db))
                    * report_weight
                    * max(
                        policy.infectiousness_weight(dso),
                        policy.infectiousness_weight(dso - 1) if early == "both" else 0.0,
                    )
                )
                midnight = datetime(t.year, t.month, t.day, tzinfo=UTC)
                is_early = t - midnight < drift
                if is_early and early == "drop":
                    continue
                daily[(listener, t.date())] += score
                if is_early and early == "both":
                    daily[(listener, t.date() - timedelta(days=1))] += score
        best: dict[int, float] = dict.fromkeys(range(self.devices), 0.0)
        for (listener, _day), total in daily.items():
            best[listener] = max(best[listener], total)
        return best
