"""The key server through its HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace import localtime
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.exposure import exportfile, schedule
from epitrace.exposure import service as exposure_service
from epitrace.exposure.models import ExposureKey, VerificationCode
from epitrace.exposure.service import UploadKey
from epitrace.security.keys import Keyring
from tests.exposure.conftest import WARD, WARD_OUTSIDE, b64, day_keys, days_ago, today

URL = "/api/v1/exposure"


def key_count(db: Database) -> int:
    with db.session_scope() as s:
        return int(s.scalar(select(func.count()).select_from(ExposureKey)) or 0)


def publish(
    db: Database, settings: Settings, *, now: datetime | None = None, **kw: Any
) -> list[Any]:
    with db.session_scope() as s:
        return exposure_service.publish_exports(
            s,
            keyring=Keyring(settings.keys_dir),
            exports_dir=settings.exports_dir,
            now=now or datetime.now(UTC) + timedelta(days=1),
            **kw,
        )


def test_officer_issues_a_code_stored_only_as_a_hash(
    client: TestClient, db: Database, issue: Any
) -> None:
    body = issue(onset_date=days_ago(2), report_type="clinical_diagnosis", valid_minutes=30)
    code = body["code"]
    assert len(code) == 8 and code.isalnum()
    assert body["area_code"] == WARD
    assert body["onset_date"] == days_ago(2)
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)
    with db.session_scope() as s:
        row = s.scalars(select(VerificationCode)).one()
        assert row.code_hash == exposure_service.hash_code(code)
        assert code not in row.code_hash


def test_code_outside_the_officers_area_is_refused(
    client: TestClient, officer: dict[str, str]
) -> None:
    response = client.post(
        f"{URL}/verification-codes",
        json={"area_code": WARD_OUTSIDE, "test_date": today().isoformat()},
        headers=officer,
    )
    assert response.status_code == 403


def test_code_with_bad_dates_explains_in_vietnamese(
    client: TestClient, officer: dict[str, str]
) -> None:
    future = (today() + timedelta(days=1)).isoformat()
    response = client.post(
        f"{URL}/verification-codes", json={"area_code": WARD, "test_date": future}, headers=officer
    )
    assert response.status_code == 422
    assert "tương lai" in response.json()["detail"]
    response = client.post(
        f"{URL}/verification-codes",
        json={"area_code": WARD, "test_date": days_ago(20)},
        headers={**officer, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "14 days" in response.json()["detail"]
    response = client.post(f"{URL}/verification-codes", json={"area_code": WARD}, headers=officer)
    assert response.status_code == 422
    assert "test_date" in response.json()["errors"]


def test_code_for_a_case_takes_the_cases_ward_and_dates(
    client: TestClient, db: Database, officer: dict[str, str], make_staff: Any
) -> None:
    from epitrace.accounts.models import Person
    from epitrace.cases.models import Case, TestType

    now = datetime.now(UTC)
    with db.session_scope() as s:
        person = Person(full_name="Nguyễn Văn A", ward_code=WARD)
        s.add(person)
        s.flush()
        case = Case(person_id=person.id, ward_code=WARD, test_type=TestType.PCR,
                    sampled_at=now - timedelta(days=1), confirmed_at=now,
                    onset_at=now - timedelta(days=3))  # fmt: skip
        s.add(case)
        s.flush()
        case_id = str(case.id)
    response = client.post(
        f"{URL}/verification-codes",
        json={"case_id": case_id, "area_code": WARD_OUTSIDE, "test_date": days_ago(9)},
        headers=officer,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["case_id"] == case_id
    assert body["area_code"] == WARD
    assert body["test_date"] == localtime.local_date(now - timedelta(days=1)).isoformat()
    assert body["onset_date"] == localtime.local_date(now - timedelta(days=3)).isoformat()
    with db.session_scope() as s:
        assert str(s.scalars(select(VerificationCode)).one().case_id) == case_id
    # an officer of another area may not issue a code for this case
    other = make_staff("health_officer", "01")
    response = client.post(f"{URL}/verification-codes", json={"case_id": case_id}, headers=other)
    assert response.status_code == 403
    missing = client.post(
        f"{URL}/verification-codes",
        json={"case_id": "7d4f3f54-5a0e-4bd8-9f58-3a6a4f2bb7a1"},
        headers=officer,
    )
    assert missing.status_code == 404
    # a citizen learns nothing about which cases exist
    assert client.post(f"{URL}/verification-codes", json={"case_id": case_id}).status_code == 401


def test_upload_stores_keys_with_days_since_onset(
    clock_phase: str, client: TestClient, db: Database, issue: Any
) -> None:
    """A key's day is its UTC day (GAEN); the onset is a local date, a day ahead of UTC's from
    17:00 to 24:00 UTC, so the same uploaded keys count one more day before the onset then."""
    code = issue(onset_date=days_ago(3))["code"]
    keys = day_keys(5)
    response = client.post(f"{URL}/keys", json={"verification_code": code.lower(), "keys": keys})
    assert response.status_code == 201, response.text
    assert response.json()["inserted"] == len(keys)
    assert response.json()["report_type"] == "confirmed_test"
    with db.session_scope() as s:
        rows = list(
            s.scalars(select(ExposureKey).order_by(ExposureKey.rolling_start_interval_number))
        )
        expected = {"same_date": [-2, -1, 0, 1, 2], "local_date_ahead": [-3, -2, -1, 0, 1]}
        assert [r.days_since_onset for r in rows][:5] == expected[clock_phase]
        assert all(r.report_type == 1 for r in rows)
        assert s.scalars(select(VerificationCode)).one().used_at is not None
    again = client.post(f"{URL}/keys", json={"verification_code": code, "keys": day_keys(1)})
    assert again.status_code == 409
    assert again.json()["code"] == "code_used"


def test_refused_upload_stores_nothing_and_says_why(
    client: TestClient, db: Database, issue: Any
) -> None:
    code = issue()["code"]
    now_enin = schedule.en_interval_number(datetime.now(UTC))
    current = schedule.rolling_start(now_enin)
    good = day_keys(2, period_today=False)
    bad = [
        {"key_data": b64(bytes(15)), "rolling_start_interval_number": current - 3 * 144},
        {"key_data": "***", "rolling_start_interval_number": current - 4 * 144},
        {"key_data": b64(bytes(range(16))), "rolling_start_interval_number": current - 5 * 144 + 1},
        {"key_data": b64(bytes(range(1, 17))), "rolling_start_interval_number": current + 144},
        {"key_data": b64(bytes(range(2, 18))), "rolling_start_interval_number": current - 20 * 144},
        {"key_data": b64(bytes(range(3, 19))), "rolling_start_interval_number": current - 6 * 144,
         "rolling_period": 145},
        {"key_data": b64(bytes(range(4, 20))), "rolling_start_interval_number": current - 144},
    ]  # fmt: skip
    response = client.post(f"{URL}/keys", json={"verification_code": code, "keys": good + bad})
    assert response.status_code == 422
    problem = response.json()
    assert "không có khóa nào được lưu" in problem["detail"].lower()
    errors = problem["errors"]
    assert "16 byte" in errors["keys.2.key_data"]
    assert "keys.3.key_data" in errors
    assert "144" in errors["keys.4.rolling_start_interval_number"]
    assert "tương lai" in errors["keys.5.rolling_start_interval_number"]
    assert "14 ngày" in errors["keys.6.rolling_start_interval_number"]
    assert "keys.7.rolling_period" in errors
    assert "keys.8.rolling_start_interval_number" in errors  # overlaps the key of yesterday
    assert key_count(db) == 0
    # the code was not spent by the refused upload
    response = client.post(f"{URL}/keys", json={"verification_code": code, "keys": good})
    assert response.status_code == 201
    assert key_count(db) == 2


def test_duplicate_and_known_keys_are_refused(client: TestClient, db: Database, issue: Any) -> None:
    keys = day_keys(2, period_today=False)
    twice = [
        keys[0],
        {**keys[0], "rolling_start_interval_number": keys[1]["rolling_start_interval_number"]},
    ]
    response = client.post(
        f"{URL}/keys", json={"verification_code": issue()["code"], "keys": twice}
    )
    assert response.status_code == 422
    assert "keys.1.key_data" in response.json()["errors"]
    assert (
        client.post(
            f"{URL}/keys", json={"verification_code": issue()["code"], "keys": keys}
        ).status_code
        == 201
    )
    response = client.post(f"{URL}/keys", json={"verification_code": issue()["code"], "keys": keys})
    assert response.status_code == 409
    assert key_count(db) == 2


def test_unknown_and_expired_codes(client: TestClient, db: Database, issue: Any) -> None:
    response = client.post(
        f"{URL}/keys", json={"verification_code": "ZZZZ9999", "keys": day_keys(1)}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "code_invalid"
    code = issue()["code"]
    with db.session_scope() as s:
        row = s.scalars(select(VerificationCode)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    response = client.post(f"{URL}/keys", json={"verification_code": code, "keys": day_keys(1)})
    assert response.status_code == 410
    assert key_count(db) == 0


def test_uploads_are_rate_limited(client: TestClient) -> None:
    statuses = [
        client.post(f"{URL}/keys", json={"verification_code": "AAAA2222", "keys": []}).status_code
        for _ in range(22)
    ]
    assert statuses[:20] == [422] * 20
    assert statuses[-1] == 429


def test_exports_publish_only_ended_keys_padded_sorted_and_signed(
    client: TestClient, db: Database, settings: Settings, issue: Any
) -> None:
    # Yesterday's key is published two hours after the UTC midnight: run at 03:00 or later.
    now = datetime.now(UTC)
    later = max(now, now.replace(hour=3, minute=0, second=0, microsecond=0))
    with time_machine.travel(later, tick=True):
        _publish_only_ended_keys(client, db, settings, issue)


def _publish_only_ended_keys(
    client: TestClient, db: Database, settings: Settings, issue: Any
) -> None:
    keys = day_keys(3)  # three whole days and today's partial key
    assert (
        client.post(
            f"{URL}/keys", json={"verification_code": issue()["code"], "keys": keys}
        ).status_code
        == 201
    )
    # right now only the whole days have ended (plus the publication delay)
    assert publish(db, settings, now=datetime.now(UTC)) != []
    index = client.get(f"{URL}/exports/index.txt")
    assert index.status_code == 200
    names = index.text.split()
    assert len(names) == 1
    data = client.get(f"{URL}/exports/{names[0]}").content
    pem = client.get(f"{URL}/public-key.pem")
    assert pem.text.startswith("-----BEGIN PUBLIC KEY-----")
    parsed = exportfile.read_file(data)
    assert exportfile.verify(parsed, exportfile.load_public_key(pem.content))
    assert parsed.region == "VN"
    assert parsed.signature_infos[0].key_id == "452"
    published = [k.key_data for k in parsed.keys]
    assert published == sorted(published)
    assert len(published) >= exposure_service.PADDING_MINIMUM
    uploaded = {schedule_b64(k["key_data"]) for k in keys}
    assert len(uploaded & set(published)) == 3  # today's key waits for its period to end
    # a later run publishes today's key in a second file
    publish(db, settings, now=datetime.now(UTC) + timedelta(days=1))
    names = client.get(f"{URL}/exports/index.txt").text.split()
    assert len(names) == 2
    second = exportfile.read_file(client.get(f"{URL}/exports/{names[1]}").content)
    assert len(uploaded & {k.key_data for k in second.keys}) == 1
    assert client.get(f"{URL}/exports/nothing-here.zip").status_code == 404
    assert client.get(f"{URL}/exports/..%2Fsecret.zip").status_code == 404


def schedule_b64(value: str) -> bytes:
    import base64

    return base64.b64decode(value)


def test_exports_split_into_files_of_at_most_the_limit(
    client: TestClient, db: Database, settings: Settings, issue: Any
) -> None:
    for _ in range(3):
        code = issue()["code"]
        client.post(
            f"{URL}/keys",
            json={"verification_code": code, "keys": day_keys(10, period_today=False)},
        )
    assert key_count(db) == 30
    batches = publish(db, settings, max_keys_per_file=16, padding_minimum=2, padding_extra=2)
    assert [b.batch_num for b in batches] == [1, 2, 3]
    assert {b.batch_size for b in batches} == {3}
    seen: set[bytes] = set()
    for batch in batches:
        parsed = exportfile.read_file((settings.exports_dir / batch.name).read_bytes())
        assert len(parsed.keys) <= 16
        assert (parsed.batch_num, parsed.batch_size) == (batch.batch_num, 3)
        seen |= {k.key_data for k in parsed.keys}
    with db.session_scope() as s:
        stored = set(s.scalars(select(ExposureKey.key_data)))
    assert stored <= seen
    assert publish(db, settings) == []  # nothing new


def test_purge_removes_old_keys_and_files(
    client: TestClient, db: Database, settings: Settings, issue: Any
) -> None:
    client.post(
        f"{URL}/keys",
        json={"verification_code": issue()["code"], "keys": day_keys(3, period_today=False)},
    )
    batches = publish(db, settings)
    path = settings.exports_dir / batches[0].name
    assert path.exists()
    with db.session_scope() as s:
        keys, files = exposure_service.purge(
            s, exports_dir=settings.exports_dir, retention_days=2,
            now=datetime.now(UTC) + timedelta(days=16),
        )  # fmt: skip
    assert (keys, files) == (3, 1)
    assert not path.exists()
    assert client.get(f"{URL}/exports/index.txt").text == ""


def test_purge_removes_codes_expired_past_retention(
    client: TestClient, db: Database, settings: Settings, issue: Any
) -> None:
    client.post(
        f"{URL}/keys",
        json={"verification_code": issue()["code"], "keys": day_keys(3, period_today=False)},
    )
    issue()  # never used
    with db.session_scope() as s:
        expires = max(s.scalars(select(VerificationCode.expires_at)).all())
    for after, codes in ((timedelta(days=21, hours=-1), 2), (timedelta(days=21, hours=1), 0)):
        with db.session_scope() as s:
            exposure_service.purge(
                s, exports_dir=settings.exports_dir, retention_days=21, now=expires + after
            )
            assert s.scalar(select(func.count()).select_from(VerificationCode)) == codes
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(ExposureKey)) == 0


def test_reports_need_consent_and_count_once(
    client: TestClient, db: Database, citizen: Any, make_staff: Any, places: Any
) -> None:
    body = {"consent": False, "exposure_date": days_ago(2), "idempotency_key": "device-1-day-1"}
    response = client.post(f"{URL}/reports", json=body)
    assert response.status_code == 422
    body["consent"] = True
    body["ward_code"] = WARD
    first = client.post(f"{URL}/reports", json=body)
    assert first.status_code == 202
    assert "khẩu trang" in first.json()["advice"]
    again = client.post(f"{URL}/reports", json=body)
    assert again.json() == {**first.json(), "created": False}
    old = client.post(
        f"{URL}/reports", json={**body, "exposure_date": days_ago(30), "idempotency_key": "x" * 10}
    )
    assert old.status_code == 422
    # a citizen may attach the report to their account; their page then shows the warning
    headers = citizen()
    mine = {**body, "idempotency_key": "device-2-day-1", "attach_to_account": True}
    assert client.post(f"{URL}/reports", json=mine, headers=headers).status_code == 202
    page = client.get("/me/exposure", headers=headers)
    assert page.status_code == 200
    assert 'data-testid="exposure-warning"' in page.text
    counts = client.get(f"{URL}/counts?area=79", headers=make_staff("health_officer", "79"))
    assert counts.status_code == 200
    figures = counts.json()
    assert figures["reports"] == 2
    assert figures["reports_by_day"] == [{"day": days_ago(2), "reports": 2}]
    outside = client.get(f"{URL}/counts?area=01", headers=make_staff("dic_officer", "01"))
    assert outside.json()["reports"] == 0


def test_counts_follow_codes_and_uploads(client: TestClient, issue: Any, make_staff: Any) -> None:
    issue()
    code = issue()["code"]
    client.post(
        f"{URL}/keys", json={"verification_code": code, "keys": day_keys(4, period_today=False)}
    )
    headers = make_staff("system_admin", None)
    figures = client.get(f"{URL}/counts", headers=headers).json()
    assert (figures["codes_issued"], figures["codes_used"], figures["keys_uploaded"]) == (2, 1, 4)
    assert figures["area_code"] is None


def test_scheduled_jobs_publish_and_purge(
    client: TestClient, db: Database, settings: Settings, issue: Any
) -> None:
    from epitrace import jobs

    names = {job.name for job in jobs.all_jobs()}
    assert {"exposure.publish_exports", "exposure.purge"} <= names
    keys = day_keys(2, period_today=False)
    client.post(f"{URL}/keys", json={"verification_code": issue()["code"], "keys": keys})
    mine = [j for j in jobs.all_jobs() if j.name.startswith("exposure.")]
    outcome = jobs.run_once(db, settings, mine)
    assert outcome == {"exposure.publish_exports": "ok: 1", "exposure.purge": "ok: 0 keys, 0 files"}
    assert len(client.get(f"{URL}/exports/index.txt").text.split()) == 1


def test_two_uploads_racing_with_one_code_store_one(db: Database, issue: Any) -> None:
    import threading

    from epitrace.errors import DomainError

    code = issue()["code"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def upload(seed: int) -> None:
        keys = [
            UploadKey(b64(bytes([seed, day]) * 8), k["rolling_start_interval_number"], 144)
            for day, k in enumerate(day_keys(3, period_today=False))
        ]
        barrier.wait()
        try:
            with db.session_scope() as s:
                exposure_service.upload_keys(s, verification_code=code, keys=keys)
            outcomes.append("stored")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=upload, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["code_used", "stored"]
    assert key_count(db) == 3


def test_reports_are_rate_limited(client: TestClient, places: Any) -> None:
    body = {"consent": True, "exposure_date": days_ago(1)}
    statuses = [
        client.post(
            f"{URL}/reports", json={**body, "idempotency_key": f"phone-{n:04d}"}
        ).status_code
        for n in range(32)
    ]
    assert statuses[:30] == [202] * 30
    assert statuses[-1] == 429
