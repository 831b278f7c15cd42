"""On-device mode through the HTTP API: the server keeps no presence, counts anonymously, and
publishes signed hotspot notices that a phone holding the venue's code can match."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.checkins.models import ManualVisitor, Presence, ScanReceipt
from epitrace.db import Database, utcnow
from epitrace.declarations import passes
from epitrace.declarations.passes import Colour
from epitrace.ondevice import notices, tasks
from epitrace.ondevice.models import AnonymousVisitCount, HotspotNotice
from epitrace.security import tokens
from epitrace.security.keys import Keyring
from epitrace.security.models import AuditEntry
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue
from tests.declarations.factories import payload


def _token(db: Database, keyring: Keyring, venue_id: uuid.UUID) -> str:
    with db.session_scope() as s:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        return venue_service.token_for(keyring, venue)


def _rows(db: Database) -> dict[str, int]:
    with db.session_scope() as s:
        counted = s.scalar(select(func.coalesce(func.sum(AnonymousVisitCount.visits), 0)))
        return {
            "presence": int(s.scalar(select(func.count()).select_from(Presence)) or 0),
            "checkin_scan": int(s.scalar(select(func.count()).select_from(ScanReceipt)) or 0),
            "manual_visitor": int(s.scalar(select(func.count()).select_from(ManualVisitor)) or 0),
            "counted": int(counted or 0),
        }


def _person_id(client: TestClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(client.get("/api/v1/me", headers=headers).json()["person_id"])


def test_no_presence_reaches_the_server_only_anonymous_counts_grow(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    me = citizen()
    refused = client.post("/api/v1/checkins", json={"token": token}, headers=me)
    assert refused.status_code == 409
    assert refused.json()["code"] == "on_device_mode"
    assert refused.json()["detail"].startswith("Lượt khai báo được giữ trên từng điện thoại")
    english = client.post(
        "/api/v1/checkins", json={"token": token}, headers={**me, "Accept-Language": "en"}
    )
    assert english.json()["detail"].startswith("Check-ins are kept on each phone here")
    batch = client.post(
        "/api/v1/checkins/batch",
        json={"scans": [{"client_key": "k" * 20, "token": token, "at": utcnow().isoformat()}]},
        headers=me,
    )
    assert batch.status_code == 409
    checkout = client.post(f"/api/v1/checkins/{uuid.uuid4()}/checkout", headers=me)
    assert checkout.status_code == 409
    manual = client.post(
        f"/api/v1/venues/{op['venue_id']}/manual-entries",
        json={"full_name": "Trần Thị Bình", "phone": "0912000111"},
        headers=op["headers"],
    )
    assert manual.status_code == 409
    assert manual.json()["code"] == "on_device_mode"
    # the page's one-tap check-in is refused the same way
    page = client.post(f"/c/{token}", headers={**me, "Accept": "application/json"})
    assert page.status_code == 409

    # the phone's anonymous count: no cookie, no token
    anonymous = TestClient(client.app, base_url="http://testserver")
    counted = anonymous.post("/api/v1/venue-counts", json={"token": token, "people": 2})
    assert counted.status_code == 201, counted.text
    assert counted.json()["venue_name"] == "Chợ Bến Thành"
    assert counted.json()["dwell_minutes"] == 90
    assert "set-cookie" not in counted.headers

    # a pass at the door: checked, counted, nobody named or looked up
    person_id = _person_id(client, me)
    client.post("/api/v1/declarations", json=payload(), headers=me)
    text = client.get(f"/api/v1/passes/{person_id}", headers=me).json()["text"]
    with db.session_scope() as s:
        audited_before = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    door = client.post(
        f"/api/v1/venues/{op['venue_id']}/door-scans",
        json={"text": text, "direction": "in"},
        headers=op["headers"],
    )
    assert door.status_code == 201, door.text
    assert door.json()["outcome"] == "counted"
    assert door.json()["name"] == ""
    assert door.json()["presence"] is None
    assert door.json()["colour"] == "green"
    assert door.json()["message"] == "Thẻ hợp lệ: đã đếm lượt vào (không ghi tên)."
    with db.session_scope() as s:
        audited_after = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    assert audited_after == audited_before  # no read of a person at a venue is written
    leaving = client.post(
        f"/api/v1/venues/{op['venue_id']}/door-scans",
        json={"text": text, "direction": "out"},
        headers=op["headers"],
    )
    assert leaving.json()["outcome"] == "counted_out"
    assert _rows(db) == {"presence": 0, "checkin_scan": 0, "manual_visitor": 0, "counted": 3}
    with db.session_scope() as s:
        rows = s.scalars(select(AnonymousVisitCount)).all()
        assert {(r.method, r.visits) for r in rows} == {("self_scan", 2), ("door_scan", 1)}
        assert all(r.hour.minute == 0 and r.hour.second == 0 for r in rows)

    counts = client.get(
        f"/api/v1/venues/{op['venue_id']}/anonymous-counts",
        params={"day": utcnow().date().isoformat()},
        headers=op["headers"],
    )
    assert counts.status_code == 403  # operators do not read area counts


def test_door_refuses_forged_and_red_passes_without_counting(
    client: TestClient, db: Database, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    url = f"/api/v1/venues/{op['venue_id']}/door-scans"
    forged = client.post(url, json={"text": "EPP1.AAAA"}, headers=op["headers"])
    assert forged.status_code == 422
    red = passes.issue(keyring, pseudonym="p" * 12, colour=Colour.RED, now=utcnow())
    refused = client.post(url, json={"text": red}, headers=op["headers"])
    assert refused.json()["outcome"] == "refused_entry"
    assert _rows(db)["counted"] == 0


def test_counts_refuse_bad_hours_and_codes(
    client: TestClient, db: Database, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    future = (utcnow() + timedelta(hours=2)).isoformat()
    assert (
        client.post("/api/v1/venue-counts", json={"token": token, "hour": future}).status_code
        == 422
    )
    old = (utcnow() - timedelta(days=30)).isoformat()
    assert (
        client.post("/api/v1/venue-counts", json={"token": token, "hour": old}).status_code == 422
    )
    bad = client.post("/api/v1/venue-counts", json={"token": token[:-4] + "AAAA"})
    assert bad.status_code == 422
    earlier = (utcnow() - timedelta(hours=3)).isoformat()
    ok = client.post("/api/v1/venue-counts", json={"token": token, "hour": earlier})
    assert ok.status_code == 201
    assert _rows(db)["counted"] == 1


def _verify_with_published_key(client: TestClient, item: dict[str, Any]) -> dict[str, Any]:
    keys = client.get("/api/v1/hotspot-notices/keys").json()["keys"]
    raw = next(k["public_key"] for k in keys if k["kid"] == item["kid"])
    public = ed25519.Ed25519PublicKey.from_public_bytes(tokens.b64decode(raw))
    return notices.verify(
        public,
        notices.SignedNotice(
            id=item["id"], kid=item["kid"], payload=item["payload"], signature=item["signature"]
        ),
    )


def test_a_published_notice_is_signed_and_matches_only_the_venues_code(
    client: TestClient,
    db: Database,
    make_staff: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    op = operator()
    other = operator()
    token = _token(db, keyring, op["venue_id"])
    officer = make_staff("health_officer", "79")
    now = utcnow()
    body = {
        "venue_id": str(op["venue_id"]),
        "starts_at": (now - timedelta(hours=3)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "severity": "get_tested",
        "instructions_vi": "Đến trạm y tế phường để xét nghiệm.",
        "instructions_en": "Go to the ward health station for a test.",
    }
    created = client.post("/api/v1/hotspot-notices", json=body, headers=officer)
    assert created.status_code == 201, created.text
    notice_id = created.json()["id"]
    assert created.json()["venue_name"] == "Chợ Bến Thành"

    listed = client.get("/api/v1/hotspot-notices")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "public, max-age=0, s-maxage=60"
    unchanged = client.get(
        "/api/v1/hotspot-notices", headers={"If-None-Match": listed.headers["etag"]}
    )
    assert unchanged.status_code == 304
    [item] = listed.json()["notices"]
    fields = _verify_with_published_key(client, item)
    assert fields["id"] == notice_id
    assert fields["status"] == "active"
    assert fields["severity"] == "get_tested"
    assert fields["instructions"]["vi"] == "Đến trạm y tế phường để xét nghiệm."
    # the venue is not named: only a holder of its code recomputes the tag
    assert "Bến Thành" not in tokens.b64decode(item["payload"]).decode()
    assert str(op["venue_id"]) not in tokens.b64decode(item["payload"]).decode()
    assert fields["venue"] == notices.venue_tag(notices.venue_secret(token), notice_id)
    other_token = _token(db, keyring, other["venue_id"])
    assert fields["venue"] != notices.venue_tag(notices.venue_secret(other_token), notice_id)
    # the signed bytes are the canonical JSON of the fields
    assert tokens.b64decode(item["payload"]) == notices.canonical_json(fields)

    # a tampered payload is refused
    altered = dict(fields, severity="monitor_symptoms")
    tampered = dict(item, payload=tokens.b64encode(notices.canonical_json(altered)))
    try:
        _verify_with_published_key(client, tampered)
    except notices.NoticeError:
        pass
    else:  # pragma: no cover - the point of the test
        raise AssertionError("a tampered notice verified")

    # incremental fetch: nothing new since the mark, then the withdrawal
    mark = listed.json()["next_since"]
    later = client.get("/api/v1/hotspot-notices", params={"since": mark}).json()
    assert [n["id"] for n in later["notices"]] == [notice_id]  # the overlap resends it
    withdrawn = client.post(f"/api/v1/hotspot-notices/{notice_id}/withdraw", headers=officer)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None
    again = client.post(f"/api/v1/hotspot-notices/{notice_id}/withdraw", headers=officer)
    assert again.status_code == 409
    changed = client.get("/api/v1/hotspot-notices", params={"since": mark}).json()
    [item] = changed["notices"]
    assert _verify_with_published_key(client, item)["status"] == "withdrawn"

    issued = client.get("/api/v1/hotspot-notices/issued", headers=officer).json()
    assert [n["id"] for n in issued] == [notice_id]


def test_notice_windows_are_checked(
    client: TestClient, make_staff: Any, operator: Callable[..., Any]
) -> None:
    op = operator()
    officer = make_staff("health_officer", "79")
    now = utcnow()

    def publish(**changes: Any) -> Any:
        body = {
            "venue_id": str(op["venue_id"]),
            "starts_at": (now - timedelta(hours=3)).isoformat(),
            "ends_at": (now - timedelta(hours=1)).isoformat(),
            "severity": "monitor_symptoms",
            "instructions_vi": "Theo dõi sức khỏe.",
            **changes,
        }
        return client.post("/api/v1/hotspot-notices", json=body, headers=officer)

    assert publish(ends_at=(now - timedelta(hours=4)).isoformat()).status_code == 422
    assert publish(starts_at=(now - timedelta(days=20)).isoformat()).status_code == 422
    assert publish(starts_at=(now + timedelta(hours=1)).isoformat()).status_code == 422
    assert publish(severity="panic").status_code == 422
    assert publish(instructions_vi="   ").status_code == 422
    # a window reaching into the future ends now
    created = publish(ends_at=(now + timedelta(hours=5)).isoformat())
    assert created.status_code == 201
    ends = datetime.fromisoformat(created.json()["ends_at"].replace("Z", "+00:00"))
    assert ends <= utcnow() + timedelta(seconds=1)  # whole seconds, rounded up


def test_expired_notices_leave_the_list_and_the_table(
    client: TestClient, db: Database, make_staff: Any, operator: Callable[..., Any]
) -> None:
    op = operator()
    officer = make_staff("health_officer", "79")
    now = utcnow()
    body = {
        "venue_id": str(op["venue_id"]),
        "starts_at": (now - timedelta(hours=3)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "severity": "monitor_symptoms",
        "instructions_vi": "Theo dõi sức khỏe.",
    }
    assert client.post("/api/v1/hotspot-notices", json=body, headers=officer).status_code == 201
    with db.session_scope() as s:
        notice = s.scalars(select(HotspotNotice)).one()
        assert notice.expires_at - notice.ends_at == timedelta(days=21)
        notice.expires_at = now - timedelta(minutes=1)
    assert client.get("/api/v1/hotspot-notices").json()["notices"] == []
    with db.session_scope() as s:
        assert tasks.purge_notices(s, client.app.state.settings) == 1


def test_declarations_and_the_pass_work_as_before(
    client: TestClient, places: Any, citizen: Any, make_staff: Any
) -> None:
    me = citizen()
    person_id = _person_id(client, me)
    declared = client.post("/api/v1/declarations", json=payload(symptoms=["cough"]), headers=me)
    assert declared.status_code == 201, declared.text
    assert declared.json()["status"]["colour"] == "yellow"
    issued = client.get(f"/api/v1/passes/{person_id}", headers=me)
    assert issued.status_code == 200
    assert issued.json()["text"].startswith("EPP1.")
    operator = make_staff("venue_operator", "79")
    verified = client.post(
        "/api/v1/passes/verify", json={"text": issued.json()["text"]}, headers=operator
    )
    assert verified.status_code == 200
    assert verified.json()["colour"] == "yellow"


def test_officials_read_the_anonymous_counts(
    client: TestClient,
    db: Database,
    make_staff: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    for people in (1, 3):
        assert (
            client.post("/api/v1/venue-counts", json={"token": token, "people": people}).status_code
            == 201
        )
    official = make_staff("ward_official", "26743")
    counts = client.get("/api/v1/checkins/counts", headers=official).json()
    assert [(v["venue_name"], v["checkins"]) for v in counts["venues"]] == [("Chợ Bến Thành", 4)]
    assert [(w["ward_code"], w["checkins"], w["venues"]) for w in counts["wards"]] == [
        ("26743", 4, 1)
    ]
    hours = client.get(
        f"/api/v1/venues/{op['venue_id']}/anonymous-counts",
        params={"day": counts["day"]},
        headers=official,
    ).json()
    assert [(h["self_scans"], h["door_scans"]) for h in hours] == [(4, 0)]
    page = client.get("/checkins/counts", headers=official)
    assert page.status_code == 200
    assert "Chợ Bến Thành" in page.text
