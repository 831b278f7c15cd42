"""The device SDK: key rotation, recording, matching with drift, metadata, windows, scoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from epitrace.exposure import device as sdk
from epitrace.exposure import exportfile, schedule
from epitrace.exposure.device import Device, RiskPolicy
from epitrace.exposure.exportfile import ExportKey, ReportType, SigningIdentity

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def meet(a: Device, b: Device, start: datetime, minutes: int, *, rssi: int = -60,
         b_clock: timedelta = timedelta(0)) -> None:  # fmt: skip
    """b listens to a every 5 minutes for `minutes` (b's clock may be off by b_clock)."""
    for step in range(0, minutes, 5):
        t = start + timedelta(minutes=step)
        b.record(a.payload(t), rssi=rssi, at=t + b_clock, seconds_since_last_scan=300)


def published(device: Device, now: datetime, **overrides: int) -> list[ExportKey]:
    out = []
    for key in device.keys_for_upload(now):
        fields = {
            "key_data": key.key_data,
            "rolling_start_interval_number": key.rolling_start_interval_number,
            "rolling_period": key.rolling_period,
            "report_type": ReportType.CONFIRMED_TEST,
            "days_since_onset_of_symptoms": 0,
        }
        fields.update(overrides)
        out.append(ExportKey(**fields))  # type: ignore[arg-type]
    return out


def test_keys_rotate_every_day_and_rpis_every_interval() -> None:
    phone = Device()
    start_a, keys_a = phone.key_for(T0)
    start_b, keys_b = phone.key_for(T0 + timedelta(hours=1))
    assert start_a == start_b and keys_a is keys_b
    start_c, keys_c = phone.key_for(T0 + timedelta(days=1))
    assert start_c == start_a + 144 and keys_c.tek != keys_a.tek
    assert phone.payload(T0) != phone.payload(T0 + timedelta(minutes=10))
    assert phone.payload(T0) == phone.payload(T0 + timedelta(minutes=9))
    metadata = schedule.decrypt_metadata(keys_a.aemk, phone.payload(T0).rpi, phone.payload(T0).aem)
    assert schedule.Metadata.from_bytes(metadata).tx_power == phone.tx_power


def test_match_decrypts_metadata_and_scores() -> None:
    case, contact, stranger = Device(tx_power=-10), Device(), Device()
    meet(case, contact, T0, 30, rssi=-60)  # attenuation 50 dB: immediate
    meet(stranger, contact, T0, 30)
    keys = published(case, T0 + timedelta(days=1))
    matches = contact.match(keys)
    assert len(matches) == 1
    assert len(matches[0].observations) == 6
    assert set(matches[0].tx_powers) == {-10}
    windows = sdk.exposure_windows(matches)
    assert len(windows) == 1
    assert windows[0].scan_instances[0].typical_attenuation == 50
    days = sdk.exposure_days(windows, RiskPolicy())
    assert days[0].day == T0.date()
    assert days[0].score_sum == pytest.approx(6 * 300 * 1.5)
    assert days[0].exposed
    assert stranger.match(keys) == []


def test_clock_drift_within_two_hours_matches_and_beyond_does_not() -> None:
    case = Device()
    near, far = Device(), Device()
    meet(case, near, T0, 15, b_clock=timedelta(minutes=115))
    meet(case, far, T0, 15, b_clock=timedelta(minutes=140))
    keys = published(case, T0 + timedelta(days=1))
    assert len(near.match(keys)[0].observations) == 3
    assert far.match(keys) == []


def test_windows_split_at_thirty_minutes_and_weak_windows_drop() -> None:
    case, contact = Device(), Device()
    meet(case, contact, T0, 60, rssi=-90)  # attenuation 82: OTHER bucket, weight 0
    keys = published(case, T0 + timedelta(days=1))
    windows = sdk.exposure_windows(contact.match(keys))
    assert [len(w.scan_instances) for w in windows] == [6, 6]
    assert sdk.exposure_days(windows, RiskPolicy()) == []


def test_policy_weights() -> None:
    policy = RiskPolicy(attenuation_thresholds=(50, 60, 70), near_weight=2.0)
    assert policy.bucket_weight(50) == policy.immediate_weight
    assert policy.bucket_weight(51) == 2.0
    assert policy.bucket_weight(70) == policy.medium_weight
    assert policy.bucket_weight(71) == policy.other_weight
    assert policy.infectiousness_weight(0) == policy.high_weight
    assert policy.infectiousness_weight(-4) == policy.standard_weight
    assert policy.infectiousness_weight(13) == 0.0
    assert policy.infectiousness_weight(None) == policy.unknown_onset_weight
    assert policy.report_type_weight(ReportType.RECURSIVE) == 0.0
    with pytest.raises(ValueError, match="increase"):
        RiskPolicy(attenuation_thresholds=(60, 50, 70))
    with pytest.raises(ValueError, match=r"between 0 and 2\.5"):
        RiskPolicy(immediate_weight=3.0)


def test_days_since_onset_and_report_type_change_the_score() -> None:
    case, contact = Device(), Device()
    meet(case, contact, T0, 20, rssi=-70)  # attenuation 62: NEAR
    now = T0 + timedelta(days=1)
    keys = published(case, now)
    high = sdk.exposure_days(sdk.exposure_windows(contact.match(keys)), RiskPolicy())
    assert high[0].score_sum == pytest.approx(4 * 300 * 1.0)
    low = [ExportKey(k.key_data, k.rolling_start_interval_number, k.rolling_period,
                     ReportType.SELF_REPORT, -4) for k in keys]  # fmt: skip
    scored = sdk.exposure_days(sdk.exposure_windows(contact.match(low)), RiskPolicy())
    assert scored[0].score_sum == pytest.approx(4 * 300 * 0.8 * 0.6)
    revoked = [ExportKey(k.key_data, k.rolling_start_interval_number, k.rolling_period,
                         ReportType.REVOKED, 0) for k in keys]  # fmt: skip
    assert contact.match(revoked) == []


def test_upload_cuts_todays_key_and_switches_to_a_new_one() -> None:
    phone = Device()
    for day in range(16):
        phone.payload(T0 - timedelta(days=day))
    now = T0 + timedelta(hours=2)
    before = phone.key_for(now)[1].tek
    keys = phone.keys_for_upload(now)
    assert len(keys) == 15  # 14 earlier days and today
    today = keys[-1]
    assert today.rolling_start_interval_number == schedule.rolling_start(
        schedule.en_interval_number(now)
    )
    assert (
        today.rolling_period
        == schedule.en_interval_number(now) - today.rolling_start_interval_number
    )
    assert all(k.rolling_period == 144 for k in keys[:-1])
    assert phone.key_for(now)[1].tek != before


def test_purge_forgets_old_keys_and_observations() -> None:
    phone, other = Device(), Device()
    meet(other, phone, T0 - timedelta(days=20), 10)
    meet(other, phone, T0, 10)
    phone.payload(T0 - timedelta(days=20))
    phone.payload(T0)
    phone.purge(T0)
    assert len(phone.observations) == 2
    assert list(phone.keys) == [schedule.rolling_start(schedule.en_interval_number(T0))]


def test_check_refuses_an_unverified_file() -> None:
    case, contact = Device(), Device()
    meet(case, contact, T0, 30)
    signer, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    data = exportfile.build_file(
        keys=published(case, T0 + timedelta(days=1)),
        start_timestamp=0,
        end_timestamp=1,
        region="VN",
        batch_num=1,
        batch_size=1,
        identity=SigningIdentity("452", "v1"),
        private_key=signer,
    )
    assert contact.check([data], public_key=signer.public_key())[0].exposed
    with pytest.raises(sdk.ExportNotVerified):
        contact.check([data], public_key=other.public_key())


def test_fetch_exports_reads_the_index() -> None:
    served = {
        "https://x/api/v1/exposure/exports/index.txt": b"a.zip\nb.zip\n\n",
        "https://x/api/v1/exposure/exports/a.zip": b"A",
        "https://x/api/v1/exposure/exports/b.zip": b"B",
    }
    assert sdk.fetch_exports("https://x/", served.__getitem__) == [b"A", b"B"]


@settings(max_examples=25, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
    drift=st.integers(min_value=-120, max_value=120),
)
def test_any_meeting_within_drift_is_found(minutes: int, drift: int) -> None:
    case, contact = Device(), Device()
    t = T0.replace(hour=0) + timedelta(minutes=minutes)
    contact.record(case.payload(t), rssi=-50, at=t + timedelta(minutes=drift))
    keys = published(case, T0 + timedelta(days=2))
    # the RPI's own interval and the listener's interval differ by at most 12 when |drift| ≤ 110
    found = contact.match(keys)
    if abs(drift) <= 110:
        assert len(found) == 1
    obs_enin = schedule.en_interval_number(t + timedelta(minutes=drift))
    rpi_enin = schedule.en_interval_number(t)
    assert bool(found) == (abs(obs_enin - rpi_enin) <= sdk.DRIFT_INTERVALS)
