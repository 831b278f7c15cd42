"""The phone side of exposure notification, as a pure Python SDK (no database, no server).

A `Device` rotates its temporary exposure keys, gives the payload to broadcast at any moment,
records the payloads it hears, downloads and verifies export files, matches published keys
against what it heard (allowing ±2 h of clock drift), decrypts the metadata to get the
attenuation, builds exposure windows and scores them with a `RiskPolicy` (GAEN v2 style).
"""

from __future__ import annotations

import secrets
import struct
import sys
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from epitrace.exposure import exportfile, schedule
from epitrace.exposure.exportfile import ExportKey, ReportType

DRIFT_INTERVALS = 12  # ±2 h of clock drift between the two phones, in 10-minute intervals
MAX_SECONDS_PER_SCAN = 300  # a scan instance stands for at most 5 minutes
WINDOW_SECONDS = 30 * 60  # an exposure window covers at most 30 minutes
DEFAULT_TX_POWER = -8  # dBm, a typical phone's calibrated transmit power


class ExportNotVerified(Exception):
    """A downloaded export file whose signature does not check with the configured key."""


@dataclass(frozen=True)
class RiskPolicy:
    """How exposure windows become exposure days (all fields configurable per region).

    Attenuation thresholds (dB) split scan instances into IMMEDIATE / NEAR / MEDIUM / OTHER;
    each bucket has a weight between 0 and 2.5, as in the v2 risk model.
    """

    attenuation_thresholds: tuple[int, int, int] = (55, 63, 73)
    immediate_weight: float = 1.5
    near_weight: float = 1.0
    medium_weight: float = 0.5
    other_weight: float = 0.0
    report_type_weights: tuple[tuple[int, float], ...] = (
        (ReportType.CONFIRMED_TEST, 1.0),
        (ReportType.CONFIRMED_CLINICAL_DIAGNOSIS, 1.0),
        (ReportType.SELF_REPORT, 0.8),
        (ReportType.RECURSIVE, 0.0),
        (ReportType.UNKNOWN, 1.0),
        (ReportType.REVOKED, 0.0),
    )
    # Infectiousness by days since symptom onset: high inside [high_from, high_to], standard
    # inside [standard_from, standard_to], none outside.
    high_from: int = -2
    high_to: int = 5
    standard_from: int = -5
    standard_to: int = 10
    high_weight: float = 1.0
    standard_weight: float = 0.6
    unknown_onset_weight: float = 0.6  # when the key carries no days-since-onset
    minimum_window_score: float = 60.0  # weighted seconds; weaker windows are dropped
    daily_threshold: float = 900.0  # weighted seconds per day (15 min at NEAR) = an exposure

    def __post_init__(self) -> None:
        a, b, c = self.attenuation_thresholds
        if not a < b < c:
            raise ValueError("attenuation thresholds must increase")
        for weight in (self.immediate_weight, self.near_weight, self.medium_weight):
            if not 0 <= weight <= 2.5:
                raise ValueError("bucket weights are between 0 and 2.5")
        if not 0 <= self.other_weight <= 2.5:
            raise ValueError("bucket weights are between 0 and 2.5")

    def bucket_weight(self, attenuation: int) -> float:
        immediate, near, medium = self.attenuation_thresholds
        if attenuation <= immediate:
            return self.immediate_weight
        if attenuation <= near:
            return self.near_weight
        if attenuation <= medium:
            return self.medium_weight
        return self.other_weight

    def report_type_weight(self, report_type: int) -> float:
        return dict(self.report_type_weights).get(report_type, 0.0)

    def infectiousness_weight(self, days_since_onset: int | None) -> float:
        if days_since_onset is None:
            return self.unknown_onset_weight
        if self.high_from <= days_since_onset <= self.high_to:
            return self.high_weight
        if self.standard_from <= days_since_onset <= self.standard_to:
            return self.standard_weight
        return 0.0


@dataclass(frozen=True)
class Observation:
    """One payload heard during one scan."""

    rpi: bytes
    aem: bytes
    rssi: int
    at: datetime
    seconds_since_last_scan: int

    @property
    def enin(self) -> int:
        return schedule.en_interval_number(self.at)


@dataclass(frozen=True)
class ScanInstance:
    at: datetime
    typical_attenuation: int
    min_attenuation: int
    seconds_since_last_scan: int


@dataclass
class ExposureWindow:
    start: datetime
    report_type: int
    days_since_onset: int | None
    scan_instances: list[ScanInstance] = field(default_factory=list)
    score: float = 0.0

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def seconds(self) -> int:
        return sum(s.seconds_since_last_scan for s in self.scan_instances)


@dataclass(frozen=True)
class ExposureDay:
    day: date
    score_sum: float
    max_score: float
    windows: int
    exposed: bool


@dataclass(frozen=True)
class Match:
    """A published key that the device heard, with the metadata it decrypted."""

    key: ExportKey
    observations: tuple[Observation, ...]
    tx_powers: tuple[int, ...]


@lru_cache(maxsize=64)
def _padded_blocks(start: int, count: int) -> bytes:
    # Keys of one day share their rolling start: the plaintext is computed once per day.
    return b"".join(schedule.padded_data(j) for j in range(start, start + count))


@lru_cache(maxsize=145)
def _splitter(count: int) -> struct.Struct:
    # one C call cuts the AES output into `count` 16-byte RPIs
    return struct.Struct("16s" * count)


def _prefixes(identifiers: memoryview) -> npt.NDArray[np.uint32]:
    """The first four bytes of each 16-byte RPI as an int (a view: nothing is copied)."""
    return np.frombuffer(identifiers, dtype=np.uint32)[:: RPI_BYTES // 4]


class _Sieve:
    """Which 4-byte prefixes were heard, tested for a whole chunk of RPIs at once.

    A table of 2^24 flags indexed by a prefix's high 24 bits says, in one vectorised gather,
    which RPIs may have been heard (with 10,000 heard, about one RPI in 1,700 passes by
    chance); only those are looked up among the exact prefixes.
    """

    def __init__(self, prefixes: frozenset[int]) -> None:
        self.prefixes = prefixes
        self.table = np.zeros(1 << 24, dtype=np.bool_)
        if prefixes:
            self.table[np.fromiter(prefixes, dtype=np.uint32, count=len(prefixes)) >> 8] = True

    def any_heard(self, identifiers: memoryview) -> bool:
        prefixes = _prefixes(identifiers)
        maybe = prefixes[self.table[prefixes >> 8]]
        return bool(maybe.size) and not self.prefixes.isdisjoint(maybe.tolist())


def _prefix(identifier: bytes) -> int:
    return int.from_bytes(identifier[:4], sys.byteorder)  # as `memoryview.cast("I")` reads it


RPI_BYTES = schedule.KEY_LENGTH
_ECB = modes.ECB()  # noqa: S305 - the spec defines RPIs as AES-128-ECB
_AES = algorithms.AES
MATCH_CHUNK = 64  # keys whose RPIs are looked up together (147 KB of RPIs at most)


def key_rpis(tek: bytes, start: int, count: int) -> bytes:
    """All RPIs of a key as one byte string (16 bytes each), one AES-ECB call."""
    rpik = schedule.derive_rpik(tek)
    encryptor = Cipher(algorithms.AES(rpik), modes.ECB()).encryptor()  # noqa: S305 - the spec
    return encryptor.update(_padded_blocks(start, count))


def _period(key: ExportKey) -> int | None:
    """The key's rolling period, or None when its intervals are not ENINs."""
    period = key.rolling_period or schedule.TEK_ROLLING_PERIOD
    start = key.rolling_start_interval_number
    if period < 1 or period > schedule.TEK_ROLLING_PERIOD or start < 0:
        return None
    if start + period - 1 > schedule.ENIN_MAX:
        return None
    return period


class ObservationStore:
    """What a device heard, indexed by RPI for matching."""

    def __init__(self) -> None:
        self.by_rpi: dict[bytes, list[Observation]] = defaultdict(list)
        self._sieve: _Sieve | None = None

    def add(self, observation: Observation) -> None:
        self.by_rpi[observation.rpi].append(observation)
        self._sieve = None

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_rpi.values())

    def purge(self, before: datetime) -> None:
        for rpi in list(self.by_rpi):
            kept = [o for o in self.by_rpi[rpi] if o.at >= before]
            if kept:
                self.by_rpi[rpi] = kept
            else:
                del self.by_rpi[rpi]
        self._sieve = None

    def sieve(self) -> _Sieve:
        """The first four bytes of every RPI heard: the sieve of `match_keys`."""
        if self._sieve is None:
            self._sieve = _Sieve(frozenset(_prefix(rpi) for rpi in self.by_rpi))
        return self._sieve

    def match_key(self, key: ExportKey) -> list[Observation]:
        """Observations of this key's RPIs heard within ±2 h of the RPI's own interval."""
        return next((heard for _, heard in self.match_keys([key])), [])

    def match_keys(self, keys: Sequence[ExportKey]) -> list[tuple[ExportKey, list[Observation]]]:
        """The keys of which something was heard, each with its observations (`match_key`).

        Per key: its RPIK (`schedule.derive_rpiks`, for all keys at once) and its RPIs in one
        AES-ECB call over the day's PaddedData blocks, written into one buffer after those of
        the keys before it. The RPIs of `MATCH_CHUNK` keys are then looked up together by
        their first four bytes among those of the RPIs heard (`_Sieve`: one vectorised table
        look-up for the chunk, no Python object per RPI); only a chunk with a hit (a heard
        key, or a one in ~3,000 chance per key with 10,000 RPIs heard) is checked key by key
        on the full 16 bytes.
        """
        if not self.by_rpi:
            return []
        valid = [(key, period) for key in keys if (period := _period(key)) is not None]
        rpiks = schedule.derive_rpiks(key.key_data for key, _ in valid)
        sieve = self.sieve()
        found: list[tuple[ExportKey, list[Observation]]] = []
        # the chunk's RPIs, written in place by the cipher (`update_into` wants room for one
        # block more than it writes)
        room = bytearray(MATCH_CHUNK * schedule.TEK_ROLLING_PERIOD * RPI_BYTES + RPI_BYTES - 1)
        with memoryview(room) as buffer:
            for first in range(0, len(valid), MATCH_CHUNK):
                chunk = valid[first : first + MATCH_CHUNK]
                end = 0
                for (key, period), rpik in zip(
                    chunk, rpiks[first : first + MATCH_CHUNK], strict=True
                ):
                    end += (
                        Cipher(_AES(rpik), _ECB)
                        .encryptor()
                        .update_into(
                            _padded_blocks(key.rolling_start_interval_number, period),
                            buffer[end:],
                        )
                    )
                if not sieve.any_heard(buffer[:end]):
                    continue  # almost every chunk: nothing heard
                end = 0
                for key, period in chunk:
                    output = buffer[end : end + period * RPI_BYTES].tobytes()
                    end += period * RPI_BYTES
                    heard = self._heard(key.rolling_start_interval_number, period, output)
                    if heard:
                        found.append((key, heard))
        return found

    def _heard(self, start: int, period: int, output: bytes) -> list[Observation]:
        by_rpi = self.by_rpi
        identifiers = _splitter(period).unpack(output)
        if by_rpi.keys().isdisjoint(identifiers):
            return []
        found: list[Observation] = []
        for offset, identifier in enumerate(identifiers):
            heard = by_rpi.get(identifier)
            if heard:
                enin = start + offset
                found.extend(o for o in heard if abs(o.enin - enin) <= DRIFT_INTERVALS)
        return found


class Device:
    """A phone: its keys, what it broadcasts and hears, and its exposure check."""

    def __init__(
        self,
        *,
        tx_power: int = DEFAULT_TX_POWER,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.tx_power = tx_power
        self.metadata = schedule.Metadata(tx_power=tx_power).to_bytes()
        self._random_bytes = random_bytes
        self.keys: dict[int, schedule.DerivedKeys] = {}  # rolling start -> keys
        self.observations = ObservationStore()
        self._last_scan: datetime | None = None

    # -- broadcasting ------------------------------------------------------------------

    def key_for(self, at: datetime) -> tuple[int, schedule.DerivedKeys]:
        """The TEK valid at `at`, generated when its rolling period begins."""
        start = schedule.rolling_start(schedule.en_interval_number(at))
        keys = self.keys.get(start)
        if keys is None:
            keys = schedule.DerivedKeys.from_tek(self._random_bytes(schedule.KEY_LENGTH))
            self.keys[start] = keys
        return start, keys

    def payload(self, at: datetime) -> schedule.Payload:
        """The 20 bytes (RPI || AEM) this device broadcasts at `at`."""
        _, keys = self.key_for(at)
        return keys.payload(schedule.en_interval_number(at), self.metadata)

    # -- scanning ----------------------------------------------------------------------

    def record(
        self,
        payload: schedule.Payload | bytes,
        *,
        rssi: int,
        at: datetime,
        seconds_since_last_scan: int | None = None,
    ) -> Observation:
        """Keep a payload heard at `at` with signal strength `rssi` (dBm)."""
        if isinstance(payload, bytes):
            payload = schedule.Payload.from_bytes(payload)
        if seconds_since_last_scan is None:
            gap = MAX_SECONDS_PER_SCAN
            if self._last_scan is not None and at > self._last_scan:
                gap = int((at - self._last_scan).total_seconds())
            seconds_since_last_scan = gap
        observation = Observation(
            rpi=payload.rpi,
            aem=payload.aem,
            rssi=rssi,
            at=at,
            seconds_since_last_scan=min(max(seconds_since_last_scan, 0), MAX_SECONDS_PER_SCAN),
        )
        self.observations.add(observation)
        return observation

    def scan_done(self, at: datetime) -> None:
        """Mark the end of one scan (the next scan's instances count from here)."""
        self._last_scan = at

    # -- sharing keys (after a positive test) ------------------------------------------

    def keys_for_upload(self, now: datetime) -> list[ExportKey]:
        """Keys of the last 14 days; today's key is cut at `now` and then replaced.

        Cutting today's key (rolling period = intervals already used) lets it be published
        without revealing RPIs the device has not broadcast yet; the device switches to a
        new key so that it never broadcasts a published key again.
        """
        now_enin = schedule.en_interval_number(now)
        oldest = schedule.rolling_start(now_enin) - schedule.MAX_KEY_AGE_DAYS * 144
        out = []
        for start, keys in sorted(self.keys.items()):
            if start < oldest or start > now_enin:
                continue
            period = min(schedule.TEK_ROLLING_PERIOD, now_enin - start)
            if period < 1:
                continue
            out.append(ExportKey(keys.tek, start, period))
        current = schedule.rolling_start(now_enin)
        if current in self.keys and now_enin > current:
            # a fresh key for the rest of today, valid from the next interval on
            self.keys[current] = schedule.DerivedKeys.from_tek(
                self._random_bytes(schedule.KEY_LENGTH)
            )
        return out

    def purge(self, now: datetime) -> None:
        """Forget keys and observations older than 14 days."""
        cutoff = now - timedelta(days=schedule.MAX_KEY_AGE_DAYS)
        oldest = schedule.rolling_start(schedule.en_interval_number(cutoff))
        for start in [s for s in self.keys if s < oldest]:
            del self.keys[start]
        self.observations.purge(cutoff)

    # -- checking for exposure ---------------------------------------------------------

    def match(self, keys: Iterable[ExportKey]) -> list[Match]:
        matches = []
        live = [key for key in keys if key.report_type != ReportType.REVOKED]
        for key, heard in self.observations.match_keys(live):
            aemk = schedule.derive_aemk(key.key_data)
            powers = tuple(
                schedule.Metadata.from_bytes(schedule.decrypt_metadata(aemk, o.rpi, o.aem)).tx_power
                for o in heard
            )
            matches.append(Match(key=key, observations=tuple(heard), tx_powers=powers))
        return matches

    def check(
        self,
        exports: Iterable[bytes],
        *,
        public_key: ec.EllipticCurvePublicKey,
        policy: RiskPolicy | None = None,
    ) -> list[ExposureDay]:
        """Verify every export file, match its keys and report the exposure days."""
        keys: list[ExportKey] = []
        for data in exports:
            export = exportfile.read_file(data)
            if not exportfile.verify(export, public_key):
                raise ExportNotVerified("an export file's signature does not verify")
            keys.extend(export.keys)
            keys.extend(export.revised_keys)
        windows = exposure_windows(self.match(keys))
        return exposure_days(windows, policy or RiskPolicy())


def exposure_windows(matches: Sequence[Match]) -> list[ExposureWindow]:
    """Scan instances of each matched key, grouped into windows of at most 30 minutes."""
    windows: list[ExposureWindow] = []
    for match in matches:
        # observations of one RPI in one scan form one scan instance
        grouped: dict[datetime, list[int]] = defaultdict(list)
        seconds: dict[datetime, int] = {}
        for observation, tx_power in zip(match.observations, match.tx_powers, strict=True):
            grouped[observation.at].append(max(tx_power - observation.rssi, 0))
            seconds[observation.at] = observation.seconds_since_last_scan
        current: ExposureWindow | None = None
        for at in sorted(grouped):
            attenuations = grouped[at]
            instance = ScanInstance(
                at=at,
                typical_attenuation=round(sum(attenuations) / len(attenuations)),
                min_attenuation=min(attenuations),
                seconds_since_last_scan=seconds[at],
            )
            if current is None or (at - current.start).total_seconds() >= WINDOW_SECONDS:
                current = ExposureWindow(
                    start=at,
                    report_type=match.key.report_type,
                    days_since_onset=match.key.days_since_onset_of_symptoms,
                )
                windows.append(current)
            current.scan_instances.append(instance)
    windows.sort(key=lambda w: w.start)
    return windows


def score_window(window: ExposureWindow, policy: RiskPolicy) -> float:
    """Σ seconds × bucket weight, × report-type weight × infectiousness weight."""
    weighted = sum(
        s.seconds_since_last_scan * policy.bucket_weight(s.typical_attenuation)
        for s in window.scan_instances
    )
    return (
        weighted
        * policy.report_type_weight(window.report_type)
        * policy.infectiousness_weight(window.days_since_onset)
    )


def exposure_days(windows: Iterable[ExposureWindow], policy: RiskPolicy) -> list[ExposureDay]:
    """Per UTC day: sum and maximum of the window scores, and whether the day is an exposure."""
    per_day: dict[date, list[float]] = defaultdict(list)
    for window in windows:
        window.score = score_window(window, policy)
        if window.score < policy.minimum_window_score:
            continue
        per_day[window.start.astimezone(UTC).date()].append(window.score)
    return [
        ExposureDay(
            day=day,
            score_sum=sum(scores),
            max_score=max(scores),
            windows=len(scores),
            exposed=sum(scores) >= policy.daily_threshold,
        )
        for day, scores in sorted(per_day.items())
    ]


def http_get(url: str, *, timeout: float = 30.0) -> bytes:
    """Download one URL over HTTP(S) (the default for `fetch_exports`)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("only http(s) URLs are downloaded")
    request = urllib.request.Request(url, headers={"User-Agent": "epitrace-exposure-sdk"})  # noqa: S310 - scheme checked above
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - same
        data: bytes = response.read(exportfile.MAX_FILE_BYTES + 1)
    if len(data) > exportfile.MAX_FILE_BYTES:
        raise ValueError("the download is larger than any export file")
    return data


def fetch_exports(base_url: str, get: Callable[[str], bytes] = http_get) -> list[bytes]:
    """Download every file listed in the server's index.txt with `get(url) -> bytes`."""
    base = base_url.rstrip("/")
    index = get(f"{base}/api/v1/exposure/exports/index.txt").decode("ascii")
    out = []
    for line in index.splitlines():
        name = line.strip()
        if not name:
            continue
        out.append(get(f"{base}/api/v1/exposure/exports/{name.rsplit('/', 1)[-1]}"))
    return out
