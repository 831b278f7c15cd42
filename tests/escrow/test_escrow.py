"""Escrow privacy mode: a dump names nobody beside a venue and time; two officials' shares open
a case's days and the trace finds the F1/F2 the central mode finds on the same data."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.app import create_app
from epitrace.cases.models import Case
from epitrace.checkins import flows, sealed
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import ManualVisitor, Presence
from epitrace.checkins.pages import HELD_COOKIE
from epitrace.checkins.service import Outcome
from epitrace.cli_support import acting
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.errors import Conflict, Forbidden
from epitrace.escrow import crypto
from epitrace.escrow import service as escrow_service
from epitrace.escrow.models import EscrowApproval, EscrowOpening, OpeningStatus
from epitrace.rollout import indicators
from epitrace.rollout.models import IndicatorSnapshot
from epitrace.security.keys import Keyring
from epitrace.security.models import AuditEntry
from epitrace.security.permissions import Principal
from epitrace.tracing import service as tracing_service
from epitrace.tracing.models import ContactLink
from epitrace.tracing.policy import DEFAULT_POLICY
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueCategory
from tests import factories
from tests.tracing.factories import T0, at
from tests.venues import factories as venue_factories

AS_OF = at(2 * 24 * 60)


@pytest.fixture
def ring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    return Keyring(tmp_path_factory.getbasetemp() / "escrow-keys")


@pytest.fixture
def escrow_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"privacy_mode": "escrow"})


def ceremony(session: Session) -> crypto.Ceremony:
    """Day keys for the three weeks around the seeded days, published."""
    first = localtime.today(T0) - timedelta(days=10)
    made = crypto.generate([first + timedelta(days=i) for i in range(21)])
    escrow_service.import_keys(session, ceremony=made.ceremony_id, keys=made.public)
    return made


def shares(made: crypto.Ceremony, holder: str) -> crypto.Shares:
    return crypto.read_share_file(crypto.share_file(made, holder))


@dataclass
class Phone:
    """A citizen's phone: it keeps the presences it opened (escrow mode) as the app does."""

    person: Person
    # by person (the phone's owner and the dependents it checked in): a scan sends the held
    # presences of the people it is for, as the central mode closes only theirs
    held: dict[uuid.UUID, sealed.Held] = field(default_factory=dict)


@dataclass
class World:
    people: dict[str, Person]
    venues: dict[str, Venue]
    visitor: ManualVisitor | None
    case: Case


def seed(
    session: Session,
    *,
    ring: Keyring,
    settings: Settings,
    suffix: str,
    operator: Principal,
    ward: str = "26743",
) -> World:
    """The same visits in either mode, through the flows the routes call."""
    venues = {
        "market": venue_factories.venue(session, name=f"Chợ {suffix}", ward_code=ward),
        "cafe": venue_factories.venue(
            session,
            name=f"Quán {suffix}",
            category=VenueCategory.SHOP_RESTAURANT,
            ward_code=ward,
        ),
        "shop": venue_factories.venue(
            session,
            name=f"Tiệm {suffix}",
            category=VenueCategory.SHOP_RESTAURANT,
            ward_code=ward,
        ),
    }
    for v in venues.values():
        v.created_at = T0 - timedelta(days=30)  # registered well before the visits
    names = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường",
             "dung": "Phạm Văn Dũng", "em": "Hoàng Thị Em"}  # fmt: skip
    people: dict[str, Person] = {}
    for i, (key, name) in enumerate(names.items()):
        people[key] = Person(
            full_name=f"{name} {suffix}",
            phone=f"+8491{suffix_digits(suffix)}{i:05d}",
            ward_code="26743",
        )
        session.add(people[key])
    session.flush()
    child = account_service.add_dependent(
        session,
        guardian_id=people["binh"].id,
        full_name=f"Trần Văn Bé {suffix}",
        birth_year=2018,
        relationship="con",
    )
    people["child"] = child
    phones = {k: Phone(p) for k, p in people.items()}

    def scan(who: str, venue: str, minutes: float, dependents: Sequence[Person] = ()) -> None:
        phone = phones[who]
        people = [phone.person.id, *(d.id for d in dependents)]
        sealing = flows.sealing(
            session, settings, [phone.held[p] for p in people if p in phone.held]
        )
        result = flows.self_scan(
            session,
            keyring=ring,
            token=venue_service.token_for(ring, venues[venue]),
            person_id=phone.person.id,
            at=at(minutes),
            dependent_ids=[d.id for d in dependents],
            client_key=f"k-{uuid.uuid4().hex}",
            sealing=sealing,
        )
        if sealing is not None and result.outcome == Outcome.CHECKED_IN:
            made = sealed.tokens(sealing.secret, result.presences)
            for person_id, (pid, token) in zip(people, made.items(), strict=True):
                phone.held[person_id] = sealed.Held(pid, token)

    # a market's and a shop's dwell time is 90 minutes: every check-out comes before it
    scan("an", "market", 60)
    scan("binh", "market", 90, [child])
    scan("cuong", "market", 130)
    scan("an", "market", 140)  # out
    scan("binh", "market", 150)  # out, with the child
    scan("cuong", "market", 200)  # out
    scan("binh", "cafe", 400)
    scan("dung", "cafe", 420)
    scan("dung", "cafe", 460)
    scan("binh", "cafe", 470)
    scan("an", "shop", 600)  # left open: the dwell time ends it
    scan("em", "shop", 610)
    scan("em", "shop", 680)
    entry = flows.manual_entry(
        session,
        venue=venues["market"],
        full_name=f"Đỗ Thị Giang {suffix}",
        phone=f"090{suffix_digits(suffix)}99999",
        id_number=None,
        at=at(100),
        actor=operator,
        sealing=flows.sealing(session, settings),
    )
    checkin_service.door_exit(session, venue=venues["market"], presence_id=entry.id, at=at(130))
    visitor = session.scalars(
        select(ManualVisitor).where(ManualVisitor.full_name == f"Đỗ Thị Giang {suffix}")
    ).one()
    case = Case(
        person_id=people["an"].id,
        ward_code="26743",
        test_type="pcr",
        sampled_at=at(24 * 60),
        confirmed_at=at(24 * 60),
    )
    session.add(case)
    session.flush()
    return World(people, venues, visitor, case)


def suffix_digits(suffix: str) -> str:
    return "11" if suffix == "E" else "22"


def contacts(session: Session, case: Case, suffix: str) -> set[tuple[Any, ...]]:
    """The case's F1/F2 with their evidence, named without the seed's suffix."""
    return {
        (
            r.level,
            r.full_name.removesuffix(f" {suffix}"),
            r.venue_name.removesuffix(f" {suffix}"),
            r.exposed_at,
            r.exposure_end,
            r.overlap_minutes,
            r.source_name.removesuffix(f" {suffix}"),
        )
        for r in tracing_service.contacts(session, case=case)
    }


def officials(session: Session) -> tuple[Principal, Principal, Principal, Principal]:
    for name, role in (("yte-1", "health_officer"), ("yte-2", "health_officer"),
                       ("tinh-1", "province_official"), ("cua-1", "venue_operator")):  # fmt: skip
        factories.staff(session, username=name, role=role, area="79" if role != "venue_operator"
                        else "26743")  # fmt: skip
    session.flush()
    return tuple(acting(session, n) for n in ("yte-1", "yte-2", "tinh-1", "cua-1"))  # type: ignore[return-value]


# -- the dump -----------------------------------------------------------------------------------


def dump(db: Database) -> list[str]:
    """Every row of the database as text: SQLite's iterdump, PostgreSQL's pg_dump --inserts."""
    if db.dialect == "sqlite":
        path = db.engine.url.database
        assert path
        conn = sqlite3.connect(path)
        try:
            return list(conn.iterdump())
        finally:
            conn.close()
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed for the PostgreSQL dump test"
    url = db.engine.url
    out = subprocess.run(  # noqa: S603 - fixed arguments, the test's own database
        [pg_dump, "--data-only", "--inserts", "-h", url.host or "127.0.0.1", "-p",
         str(url.port or 5432), "-U", url.username or "postgres", url.database or ""],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return [line for line in out.stdout.splitlines() if line.startswith("INSERT")]


def forms(value: uuid.UUID) -> tuple[str, str]:
    return str(value), value.hex


def names_beside_venues(lines: list[str], world: World) -> list[str]:
    """Dump rows that hold a venue id together with a person's id, name or phone."""
    venue_ids = [f for v in world.venues.values() for f in forms(v.id)]
    who = [f for p in world.people.values() for f in forms(p.id)]
    who += [p.full_name for p in world.people.values()]
    who += [p.phone for p in world.people.values() if p.phone]
    assert world.visitor is not None
    who += [*forms(world.visitor.id), world.visitor.full_name, world.visitor.phone or ""]
    return [
        line
        for line in lines
        if any(v in line for v in venue_ids) and any(w and w in line for w in who)
    ]


def test_escrow_dump_names_nobody_beside_a_venue_and_trace_finds_the_central_contacts(
    db: Database, session: Session, places: Any, ring: Keyring, escrow_settings: Settings,
    settings: Settings,
) -> None:  # fmt: skip
    yte1, yte2, tinh, door = officials(session)
    made = ceremony(session)
    escrow = seed(session, ring=ring, settings=escrow_settings, suffix="E", operator=door)
    session.commit()

    sealed_rows = session.scalars(select(Presence).where(Presence.sealed_identity.is_not(None)))
    stored = list(sealed_rows)
    assert len(stored) == 9  # 8 by scans (a child among them) and one by hand
    assert all(p.person_id is None and p.manual_visitor_id is None for p in stored)
    assert all(p.recorded_by is None and p.device_id is None for p in stored)
    lines = dump(db)
    assert any("escrow_day_key" in line for line in lines)  # the dump has rows at all
    assert names_beside_venues(lines, escrow) == []
    # and in the central mode the same check finds them: the test can see a leak
    central = seed(session, ring=ring, settings=settings, suffix="C", operator=door)
    session.commit()
    assert names_beside_venues(dump(db), central) != []

    tracing_service.run_trace(session, case=central.case, now=AS_OF)
    expected = contacts(session, central.case, "C")
    assert {c[0] for c in expected} == {1, 2}
    assert {c[1] for c in expected} >= {"Trần Thị Bình", "Đỗ Thị Giang", "Phạm Văn Dũng"}

    opening = escrow_service.request_opening(
        session, principal=yte1, case=escrow.case, policy=DEFAULT_POLICY, now=AS_OF
    )
    session.commit()
    first = escrow_service.approve(
        session, principal=yte2, opening_id=opening.id, shares=shares(made, "a"),
        secret=b"server-secret", policy=DEFAULT_POLICY, now=AS_OF + timedelta(minutes=5),
    )  # fmt: skip
    assert first.trace is None
    session.commit()
    # one official's share waits encrypted; nothing is open yet
    assert session.scalar(select(func.count()).select_from(ContactLink).where(
        ContactLink.case_id == escrow.case.id)) == 0  # fmt: skip
    done = escrow_service.approve(
        session, principal=tinh, opening_id=opening.id, shares=shares(made, "b"),
        secret=b"server-secret", policy=DEFAULT_POLICY, now=AS_OF + timedelta(minutes=9),
    )  # fmt: skip
    session.commit()
    # approved: both shares wait for the job, nothing is open yet
    assert (done.trace, done.opening.status) == (None, OpeningStatus.APPROVED)
    assert session.scalar(select(func.count()).select_from(ContactLink).where(
        ContactLink.case_id == escrow.case.id)) == 0  # fmt: skip
    trace = escrow_service.open_approved(
        session, opening=done.opening, secret=b"server-secret", policy=DEFAULT_POLICY
    )
    session.commit()
    assert contacts(session, escrow.case, "E") == expected
    assert trace.f1_count == tracing_service.last_trace(
        session, case_id=central.case.id).f1_count  # type: ignore[union-attr]  # fmt: skip

    # the opened identities are gone: no temporary table, no identity on a sealed presence,
    # no share waiting
    session.refresh(opening)
    assert opening.status is OpeningStatus.TRACED
    assert opening.opened_presences == 9
    assert "escrow_opened" not in inspect(db.engine).get_table_names()
    assert session.scalar(
        select(func.count()).select_from(Presence).where(
            Presence.sealed_identity.is_not(None),
            (Presence.person_id.is_not(None)) | (Presence.manual_visitor_id.is_not(None)),
        )
    ) == 0  # fmt: skip
    assert session.scalars(select(EscrowApproval.pending_share)).all() == [None, None]
    # after the trace the only rows naming people beside the escrow venues are its contacts
    leaks = names_beside_venues(dump(db), escrow)
    assert leaks and all("contact_link" in line for line in leaks)


def test_one_official_alone_cannot_open_and_a_wrong_share_is_refused(
    session: Session, places: Any, ring: Keyring, escrow_settings: Settings
) -> None:
    yte1, yte2, tinh, door = officials(session)
    made = ceremony(session)
    other = crypto.generate(sorted(made.shares["a"]))  # another ceremony's files
    world = seed(session, ring=ring, settings=escrow_settings, suffix="E", operator=door)
    opening = escrow_service.request_opening(
        session, principal=yte1, case=world.case, policy=DEFAULT_POLICY, now=AS_OF
    )

    def approve(who: Principal, given: crypto.Shares) -> escrow_service.Approved:
        return escrow_service.approve(
            session, principal=who, opening_id=opening.id, shares=given, secret=b"s",
            policy=DEFAULT_POLICY, now=AS_OF,
        )  # fmt: skip

    with pytest.raises(escrow_service.ShareRefused) as wrong:
        approve(yte2, shares(other, "a"))
    assert wrong.value.reason == "wrong_share"
    assert "fingerprint" in wrong.value.message
    assert wrong.value.params["holder"] == "A"
    missing = crypto.Shares("x", "a", {})
    with pytest.raises(escrow_service.ShareRefused) as gap:
        approve(yte2, missing)
    assert gap.value.reason == "missing_day"
    assert approve(yte2, shares(made, "a")).trace is None
    # the same official again, even with the other share: refused
    with pytest.raises(Conflict) as same:
        approve(yte2, shares(made, "b"))
    assert same.value.code == "escrow_same_official"
    # another official with the same share: refused
    with pytest.raises(Conflict) as twice:
        approve(tinh, shares(made, "a"))
    assert twice.value.code == "escrow_same_share"
    # a venue operator may not approve at all
    with pytest.raises(Forbidden):
        approve(door, shares(made, "b"))
    # unapproved in time: the waiting share is erased
    assert escrow_service.expire(session, now=AS_OF + timedelta(hours=25)) == 1
    assert session.scalars(select(EscrowApproval.pending_share)).all() == [None]
    with pytest.raises(Conflict):
        approve(tinh, shares(made, "b"))
    assert session.get(EscrowOpening, opening.id).status is OpeningStatus.EXPIRED  # type: ignore[union-attr]


def test_shares_kept_under_a_changed_server_secret_are_asked_for_again(
    session: Session, places: Any, ring: Keyring, escrow_settings: Settings
) -> None:
    # the server's secret was changed while shares waited: the job does not fail every
    # minute and the second official gets no error; the opening waits for shares again
    yte1, yte2, tinh, door = officials(session)
    made = ceremony(session)
    world = seed(session, ring=ring, settings=escrow_settings, suffix="E", operator=door)

    def approve(who: Principal, holder: str, secret: bytes) -> escrow_service.Approved:
        return escrow_service.approve(
            session, principal=who, opening_id=opening.id, shares=shares(made, holder),
            secret=secret, policy=DEFAULT_POLICY, now=AS_OF + timedelta(minutes=5),
        )  # fmt: skip

    opening = escrow_service.request_opening(
        session, principal=yte1, case=world.case, policy=DEFAULT_POLICY, now=AS_OF
    )
    approve(yte2, "a", b"old-secret")
    approve(tinh, "b", b"old-secret")
    assert opening.status is OpeningStatus.APPROVED
    # the job, under the new secret
    assert escrow_service.open_next_approved(session, secret=b"new-secret") is opening
    assert opening.status is OpeningStatus.REQUESTED
    assert opening.expires_at > utcnow()
    assert session.scalars(select(EscrowApproval)).all() == []
    asked = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "escrow_shares_lost")
    ).all()
    assert len(asked) == 1 and asked[0].detail["opening"] == str(opening.id)
    assert escrow_service.open_next_approved(session, secret=b"new-secret") is None

    # the secret changes again between the two approvals: the second is kept as the first
    approve(yte2, "a", b"new-secret")
    second = approve(tinh, "b", b"newer-secret")
    assert (second.trace, opening.status) == (None, OpeningStatus.REQUESTED)
    kept = session.scalars(select(EscrowApproval)).all()
    assert [(a.holder, a.approved_by) for a in kept] == [("b", tinh.user_id)]
    # and the first official gives their share again: approved, opened, traced
    assert approve(yte2, "a", b"newer-secret").opening.status is OpeningStatus.APPROVED
    assert escrow_service.open_next_approved(session, secret=b"newer-secret") is opening
    assert opening.status is OpeningStatus.TRACED


def test_counts_and_indicators_are_the_same_in_escrow(
    session: Session, places: Any, ring: Keyring, escrow_settings: Settings, settings: Settings
) -> None:
    _a, _b, _c, door = officials(session)
    ceremony(session)
    escrow = seed(session, ring=ring, settings=escrow_settings, suffix="E", operator=door)
    # the central seed in the next ward, so that each ward's rollout figures are one mode's
    central = seed(session, ring=ring, settings=settings, suffix="C", operator=door, ward="26734")
    day = localtime.today(at(60))
    venues, _wards = checkin_service.counts(session, day=day, area_paths=[None])
    by_name = {v.venue_name: v.checkins for v in venues}
    for key in ("market", "cafe", "shop"):
        assert by_name[escrow.venues[key].name] == by_name[central.venues[key].name] > 0
        e_log = checkin_service.door_log(session, venue=escrow.venues[key], day=day, now=AS_OF)
        c_log = checkin_service.door_log(session, venue=central.venues[key], day=day, now=AS_OF)
        assert (e_log.entries, e_log.exits, e_log.occupancy) == (
            c_log.entries, c_log.exits, c_log.occupancy)  # fmt: skip
        assert {r.name for r in e_log.rows} == {""}  # counts only: nobody named
    since = at(0)
    total = checkin_service.count_entries_since(session, area_paths=[None], since=since)
    assert total == 18
    sealed_n = session.scalar(
        select(func.count()).select_from(Presence).where(Presence.sealed_identity.is_not(None))
    )
    assert sealed_n == total // 2
    indicators.compute_day(session, day, smartphone_share=0.7, now=AS_OF)
    figures = {
        row.area_code: (row.venues, row.venues_active, row.venues_door_control, row.checkins)
        for row in session.scalars(
            select(IndicatorSnapshot).where(
                IndicatorSnapshot.day == day, IndicatorSnapshot.area_code.in_(["26743", "26734"])
            )
        )
    }
    assert figures["26743"] == figures["26734"]
    assert figures["26743"][3] > 0

    # a visitor entered by hand keeps only the day of their latest entry (retention goes by it)
    visitor = escrow.visitor
    assert visitor is not None
    assert visitor.created_at == localtime.day_bounds(day)[0]
    flows.manual_entry(
        session, venue=escrow.venues["shop"], full_name=visitor.full_name, phone=visitor.phone,
        id_number=None, at=at(3 * 24 * 60), actor=door,
        sealing=flows.sealing(session, escrow_settings),
    )  # fmt: skip
    assert visitor.created_at == localtime.day_bounds(localtime.today(at(3 * 24 * 60)))[0]


def test_check_in_out_and_next_check_in_through_the_api(
    session: Session, places: Any, escrow_settings: Settings, db: Database, sms: Any,
) -> None:  # fmt: skip
    app = create_app(escrow_settings, database=db)
    ring: Keyring = app.state.keyring
    with TestClient(app, base_url="http://testserver") as client:
        me = factories.citizen_headers(client, sms, "0912345678")
        market = venue_factories.venue(session, name="Chợ Bến Thành")
        school = venue_factories.venue(session, name="Trường Văn Lang",
                                       category=VenueCategory.SCHOOL)  # fmt: skip
        session.commit()
        # without a published key for today no check-in is taken
        refused = client.post(
            "/api/v1/checkins", json={"token": venue_service.token_for(ring, market)}, headers=me
        )
        assert refused.status_code == 503
        assert refused.json()["code"] == "escrow_no_key"
        ceremony_today(session)
        session.commit()
        first = client.post(
            "/api/v1/checkins", json={"token": venue_service.token_for(ring, market)}, headers=me
        )
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["outcome"] == "checked_in"
        [presence] = body["presences"]
        assert presence["person_id"] is None
        tokens = body["close_tokens"]
        held = [{"presence_id": k, "close_token": v} for k, v in tokens.items()]
        # the next check-in elsewhere closes the held presence
        second = client.post(
            "/api/v1/checkins",
            json={"token": venue_service.token_for(ring, school), "held": held},
            headers=me,
        )
        assert second.json()["outcome"] == "checked_in"
        session.rollback()
        closed = session.get(Presence, uuid.UUID(presence["id"]))
        assert closed is not None and closed.close_reason == "next_checkin"
        # a forged token closes nothing; the right one checks out
        [(school_presence, school_token)] = second.json()["close_tokens"].items()
        url = f"/api/v1/checkins/{school_presence}/checkout"
        assert client.post(url, json={"close_token": "0" * 32}, headers=me).status_code == 404
        out = client.post(url, json={"close_token": school_token}, headers=me)
        assert out.status_code == 200, out.text
        assert out.json()[0]["close_reason"] == "checkout"
        # the server keeps no history of the citizen
        assert client.get("/api/v1/checkins", headers=me).json() == []

        # the pages: the browser keeps the presences it opened in a cookie
        page = client.post(
            f"/c/{venue_service.token_for(ring, market)}", headers=me, follow_redirects=False
        )
        assert page.status_code == 303
        assert page.headers["location"] == "/checkins", page.headers
        kept = client.cookies.get(HELD_COOKIE)
        assert kept
        market_visit = uuid.UUID(kept.split(".")[0])
        client.post(
            f"/c/{venue_service.token_for(ring, school)}", headers=me, follow_redirects=False
        )
        session.rollback()  # a fresh snapshot of what the app committed
        closed = session.get(Presence, market_visit)
        assert closed is not None and closed.close_reason == "next_checkin"
        assert closed.person_id is None


def ceremony_today(session: Session) -> None:
    today = localtime.today()
    made = crypto.generate([today - timedelta(days=1), today, today + timedelta(days=1)])
    escrow_service.import_keys(session, ceremony=made.ceremony_id, keys=made.public)


def test_an_offline_batch_is_sealed_and_holds_its_own_presences(
    session: Session, places: Any, ring: Keyring, escrow_settings: Settings
) -> None:
    ceremony(session)
    person = Person(full_name="Vũ Thị Hoa", phone="+84911122233", ward_code="26743")
    session.add(person)
    market = venue_factories.venue(session, name="Chợ Hoa")
    school = venue_factories.venue(session, name="Trường Hoa", category=VenueCategory.SCHOOL)
    session.flush()
    scans = [
        checkin_service.ScanIn("k-batch-0001", venue_service.token_for(ring, market), at(60)),
        checkin_service.ScanIn("k-batch-0002", venue_service.token_for(ring, school), at(80)),
        checkin_service.ScanIn("k-batch-0003", venue_service.token_for(ring, school), at(120)),
    ]

    def send() -> list[checkin_service.BatchItemResult]:
        return flows.sync_batch(
            session,
            keyring=ring,
            person_id=person.id,
            scans=scans[:2],
            now=at(200),
            retention_days=21,
            sealing=flows.sealing(session, escrow_settings),
        )

    first = send()
    assert [(r.status, r.outcome) for r in first] == [("accepted", "checked_in")] * 2
    # the batch held its first presence: the second check-in closed it
    market_visit = session.get(Presence, first[0].presence_ids[0])
    assert market_visit is not None and market_visit.close_reason == "next_checkin"
    assert market_visit.person_id is None and market_visit.sealed_identity is not None
    # sent again (the answer was lost): nothing twice
    again = send()
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert [r.presence_ids for r in again] == [r.presence_ids for r in first]
    # later, with what the phone holds, the next scan of the school checks out
    secret = escrow_settings.secret_key().encode()
    school_visit = first[1].presence_ids[0]
    held = [sealed.Held(school_visit, sealed.close_token(secret, school_visit))]
    out = flows.sync_batch(
        session, keyring=ring, person_id=person.id, scans=scans[2:], now=at(200),
        retention_days=21, sealing=flows.sealing(session, escrow_settings, held),
    )  # fmt: skip
    assert [(r.status, r.outcome) for r in out] == [("accepted", "checked_out")]
    count = session.scalar(select(func.count()).select_from(Presence))
    assert count == 2
