"""Daily indicators: the stored figures equal counts taken straight from the raw rows, past
days are snapshots, and the job, the command and the API serve them."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epitrace import jobs, localtime
from epitrace.accounts.models import Person, UserAccount
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.cli import app as cli_app
from epitrace.config import Settings, get_settings
from epitrace.db import Database
from epitrace.declarations.models import Declaration
from epitrace.errors import InvalidInput
from epitrace.places.models import AdminUnit
from epitrace.rollout import indicators
from epitrace.rollout.models import (
    CommunityTeam,
    Household,
    HouseholdVisit,
    IndicatorSnapshot,
    IndicatorUnit,
    RosterMember,
    SectorDirector,
)
from epitrace.rollout.schemas import IndicatorDayOut
from epitrace.venues.models import Organisation, OrganisationKind, Sector, Venue, VenueCategory

DAY = date(2026, 11, 20)
NOW = localtime.at_local(date(2026, 11, 25), datetime.min.time())  # DAY is in the past
WARDS = ["99101", "99102", "99201", "26743"]
SECTORS = [Sector.EDUCATION, Sector.HEALTH, Sector.TRANSPORT]
FIGURES = ("citizens", "declarations", *indicators.ORG_FIGURES, *indicators.HOUSEHOLD_FIGURES)


# -- a small province with rows on both sides of the day's edges -------------------------


def seed(session: Session, rng: random.Random, day: date = DAY) -> None:
    start, _end = localtime.day_bounds(day)

    def moment() -> datetime:
        # two days before the day to one day after: every edge of the day is exercised
        return start + timedelta(seconds=rng.randrange(-2 * 86400, 2 * 86400))

    persons: list[uuid.UUID] = []
    phones: list[str] = []
    for n in range(rng.randint(4, 14)):
        phone = f"+8491{rng.randrange(10**7):07d}{n % 10}"[:12]
        if phone in phones:
            continue
        person = Person(full_name=f"Người {n}", phone=phone, ward_code=rng.choice([*WARDS, None]))
        session.add(person)
        session.flush()
        persons.append(person.id)
        phones.append(phone)
        if rng.random() < 0.8:
            session.add(
                UserAccount(kind="citizen", phone=phone, person_id=person.id, created_at=moment())
            )
    for n in range(rng.randint(0, 12)):
        session.add(
            Declaration(
                person_id=rng.choice(persons),
                subject="self",
                full_name=f"Khai báo {n}",
                id_kind="cccd",
                id_number=f"{n:012d}",
                birth_year=1990,
                gender="female",
                nationality="Việt Nam",
                ward_code=rng.choice(WARDS),
                street="1 Lê Lợi",
                phone="+84912000000",
                consent=True,
                submitted_at=moment(),
            )
        )
    orgs: list[uuid.UUID] = []
    for n in range(rng.randint(1, 4)):
        org = Organisation(
            name=f"Đơn vị {n}",
            kind=OrganisationKind.SCHOOL,
            sector=rng.choice(SECTORS),
            ward_code=rng.choice(WARDS),
            created_at=start - timedelta(days=rng.choice([10, -3])),  # some registered later
        )
        session.add(org)
        session.flush()
        orgs.append(org.id)
        for phone in [*rng.sample(phones, rng.randint(0, len(phones))), "+84999000001"]:
            session.add(
                RosterMember(
                    organisation_id=org.id, full_name="Thành viên", phone=phone, created_at=moment()
                )
            )
    venues: list[Venue] = []
    for n in range(rng.randint(1, 8)):
        venue = Venue(
            number=10_000 + n,
            name=f"Địa điểm {n}",
            category=VenueCategory.OTHER,
            ward_code=rng.choice(WARDS),
            organisation_id=rng.choice([*orgs, None]),
            created_at=moment(),
            poster_downloaded_at=rng.choice([None, moment()]),
        )
        session.add(venue)
        venues.append(venue)
    session.flush()
    for n in range(rng.randint(0, 30)):
        venue = rng.choice(venues)
        session.add(
            Presence(
                venue_id=venue.id,
                ward_code=venue.ward_code,
                person_id=rng.choice(persons),
                entered_at=moment(),
                method=rng.choice(list(PresenceMethod)),
                client_key=f"k{n}",
            )
        )
    # community teams' households, some added or visited after the day, some never found home
    recorder = session.scalar(select(UserAccount.id).limit(1))
    households: list[uuid.UUID] = []
    for n, ward_code in enumerate(rng.sample(WARDS, rng.randint(0, len(WARDS)))):
        team = CommunityTeam(ward_code=ward_code, name=f"Tổ {n}")
        session.add(team)
        session.flush()
        for m in range(rng.randint(0, 5)):
            household = Household(
                ward_code=ward_code,
                team_id=rng.choice([team.id, None]),
                address=f"{m} Lê Lợi",
                head_name="Chủ hộ",
                members=3,
                created_at=moment(),
            )
            session.add(household)
            session.flush()
            households.append(household.id)
    for n in range(rng.randint(0, 12) if households and recorder else 0):
        session.add(
            HouseholdVisit(
                household_id=rng.choice(households),
                recorded_by=recorder,
                client_key=f"v{n}",
                visited=rng.random() < 0.7,
                visited_at=moment(),
            )
        )
    session.flush()


# -- the same figures, counted from the raw rows with plain queries ----------------------


def count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def expected(
    session: Session,
    day: date,
    *,
    path: str | None = None,
    sector: str | None = None,
    organisation_id: uuid.UUID | None = None,
) -> dict[str, int | None]:
    start, end = localtime.day_bounds(day)
    ward = AdminUnit
    venue_scope: list[ColumnElement[bool]] = [Venue.created_at < end]
    org_scope: list[ColumnElement[bool]] = [Organisation.created_at < end]
    if organisation_id is not None:
        org_scope.append(Organisation.id == organisation_id)
    if sector is not None:
        org_scope.append(Organisation.sector == sector)
    org_ids = select(Organisation.id).join(ward, ward.code == Organisation.ward_code)
    if organisation_id is not None or sector is not None:
        if path is not None:
            org_scope.append(ward.path.startswith(path))
        venue_scope.append(Venue.organisation_id.in_(org_ids.where(*org_scope)))
    else:
        assert path is not None
        venue_scope.append(Venue.ward_code.in_(select(ward.code).where(ward.path.startswith(path))))
        org_scope.append(ward.path.startswith(path))
    venues = select(Venue.id).where(*venue_scope)

    def venues_with(*condition: ColumnElement[bool]) -> int:
        return count(
            session,
            select(func.count(func.distinct(Presence.venue_id))).where(
                Presence.venue_id.in_(venues), *condition
            ),
        )

    members = select(RosterMember.phone).where(
        RosterMember.organisation_id.in_(org_ids.where(*org_scope)), RosterMember.created_at < end
    )
    result: dict[str, int | None] = {
        "venues": count(session, select(func.count()).select_from(venues.subquery())),
        "venues_with_poster": count(
            session,
            select(func.count()).where(Venue.id.in_(venues), Venue.poster_downloaded_at < end),
        ),
        "venues_active": venues_with(
            Presence.entered_at >= end - timedelta(hours=24), Presence.entered_at < end
        ),
        "venues_door_control": venues_with(
            Presence.entered_at >= start,
            Presence.entered_at < end,
            Presence.method.in_([PresenceMethod.DOOR_SCAN, PresenceMethod.MANUAL]),
        ),
        "checkins": count(
            session,
            select(func.count()).where(
                Presence.venue_id.in_(venues),
                Presence.entered_at >= start,
                Presence.entered_at < end,
            ),
        ),
        "roster_members": count(session, select(func.count()).select_from(members.subquery())),
        "roster_signed_up": count(
            session,
            select(func.count())
            .select_from(RosterMember)
            .join(UserAccount, UserAccount.phone == RosterMember.phone)
            .where(
                RosterMember.organisation_id.in_(org_ids.where(*org_scope)),
                RosterMember.created_at < end,
                UserAccount.kind == "citizen",
                UserAccount.created_at < end,
            ),
        ),
        "citizens": None,
        "declarations": None,
        "households": None,
        "households_visited": None,
    }
    if sector is None and organisation_id is None:
        in_area = select(ward.code).where(ward.path.startswith(path or ""))
        result["citizens"] = count(
            session,
            select(func.count())
            .select_from(UserAccount)
            .join(Person, Person.id == UserAccount.person_id)
            .where(
                UserAccount.kind == "citizen",
                UserAccount.created_at < end,
                Person.ward_code.in_(in_area),
            ),
        )
        result["declarations"] = count(
            session,
            select(func.count()).where(
                Declaration.ward_code.in_(in_area),
                Declaration.submitted_at >= start,
                Declaration.submitted_at < end,
            ),
        )
        households = select(Household.id).where(
            Household.ward_code.in_(in_area), Household.created_at < end
        )
        result["households"] = count(
            session, select(func.count()).select_from(households.subquery())
        )
        result["households_visited"] = count(
            session,
            select(func.count(func.distinct(HouseholdVisit.household_id))).where(
                HouseholdVisit.household_id.in_(households),
                HouseholdVisit.visited.is_(True),
                HouseholdVisit.visited_at < end,
            ),
        )
    return result


def stored(row: IndicatorSnapshot) -> dict[str, int | None]:
    return {name: getattr(row, name) for name in FIGURES}


def check_against_raw(session: Session, day: date = DAY) -> int:
    """Every stored row of the day equals the plain counts; returns the rows checked."""
    rows = session.scalars(select(IndicatorSnapshot).where(IndicatorSnapshot.day == day)).all()
    paths: dict[str, str] = dict(session.execute(select(AdminUnit.code, AdminUnit.path)).all())
    seen: dict[IndicatorUnit, int] = dict.fromkeys(IndicatorUnit, 0)
    for row in rows:
        seen[row.unit_type] += 1
        if row.unit_type is IndicatorUnit.AREA:
            want = expected(session, day, path=paths[row.area_code])
        elif row.unit_type is IndicatorUnit.SECTOR:
            want = expected(session, day, path=paths[row.area_code], sector=row.sector)
        else:
            want = expected(session, day, organisation_id=row.organisation_id)
        assert stored(row) == want, (row.unit_type, row.area_code, row.sector)
    # every unit has an area row; every registered organisation a row of its own
    assert seen[IndicatorUnit.AREA] == len(paths)
    registered = select(func.count()).where(Organisation.created_at < localtime.day_bounds(day)[1])
    assert seen[IndicatorUnit.ORGANISATION] == count(session, registered)
    # a sector's rows sit at its organisations' wards and every unit above them
    sector_units = {(r.area_code, r.sector) for r in rows if r.unit_type is IndicatorUnit.SECTOR}
    for row in rows:
        if row.unit_type is IndicatorUnit.ORGANISATION:
            for code, path in paths.items():
                if paths[row.area_code].startswith(path):
                    assert (code, row.sector) in sector_units
    return len(rows)


# -- tests ---------------------------------------------------------------------------------


def test_stored_indicators_equal_counts_from_the_raw_rows(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        seed(s, random.Random(11))
        result = indicators.compute_day(s, DAY, smartphone_share=0.75, now=NOW)
        assert not result.kept
        assert result.rows == check_against_raw(s) > len(places)
        province = s.scalars(
            select(IndicatorSnapshot).where(
                IndicatorSnapshot.unit_type == IndicatorUnit.AREA,
                IndicatorSnapshot.area_code == "99",
            )
        ).one()
        # the province's own recorded population, and the share in force
        assert (province.population, province.smartphone_share) == (1_000_000, 0.75)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rng=st.randoms(use_true_random=False))
def test_property_any_seeded_province_matches_the_raw_rows(
    db: Database, places: Any, rng: random.Random
) -> None:
    session = db.sessionmaker()
    try:
        seed(session, rng)
        indicators.compute_day(session, DAY, smartphone_share=0.5, now=NOW)
        check_against_raw(session)
    finally:
        session.rollback()
        session.close()


def test_population_of_a_unit_without_its_own_is_the_sum_of_its_wards(
    db: Database, places: Any
) -> None:
    with db.session_scope() as s:
        s.execute(
            AdminUnit.__table__.update().where(AdminUnit.code == "991").values(population=None)
        )
        indicators.compute_day(s, DAY, smartphone_share=0.75, now=NOW)
        row = s.scalars(select(IndicatorSnapshot).where(IndicatorSnapshot.area_code == "991")).one()
        assert row.population == 150_000 + 250_000


def test_a_past_day_is_a_snapshot_unless_forced(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        seed(s, random.Random(3))
        indicators.compute_day(s, DAY, smartphone_share=0.75, now=NOW)
    with db.session_scope() as s:
        before = {r.id: (stored(r), r.computed_at) for r in s.scalars(select(IndicatorSnapshot))}
        venue = s.scalars(select(Venue)).first()
        assert venue is not None
        # late rows of that day arrive: a check-in uploaded from a phone, a new citizen
        start, _end = localtime.day_bounds(DAY)
        s.add(
            Presence(
                venue_id=venue.id,
                ward_code=venue.ward_code,
                person_id=s.scalars(select(Person.id)).first(),
                entered_at=start + timedelta(hours=9),
                method=PresenceMethod.SELF_SCAN,
                client_key="late",
            )
        )
        person = Person(full_name="Mới", phone="+84988000001", ward_code="99101")
        s.add(person)
        s.flush()
        s.add(
            UserAccount(
                kind="citizen",
                phone=person.phone,
                person_id=person.id,
                created_at=start + timedelta(hours=10),
            )
        )
    with db.session_scope() as s:
        again = indicators.compute_day(s, DAY, smartphone_share=0.9, now=NOW)
        assert again.kept and again.rows == 0
        after = {r.id: (stored(r), r.computed_at) for r in s.scalars(select(IndicatorSnapshot))}
        assert after == before
    with db.session_scope() as s:
        forced = indicators.compute_day(s, DAY, smartphone_share=0.9, now=NOW, force=True)
        assert not forced.kept
        check_against_raw(s)
        ward = s.scalars(
            select(IndicatorSnapshot).where(
                IndicatorSnapshot.unit_type == IndicatorUnit.AREA,
                IndicatorSnapshot.area_code == venue.ward_code,
            )
        ).one()
        assert ward.smartphone_share == 0.9  # forced: written again with today's setting


def test_today_is_recomputed_and_a_future_day_refused(db: Database, places: Any) -> None:
    today = localtime.today(NOW)
    with db.session_scope() as s:
        seed(s, random.Random(5), day=today)
        indicators.compute_day(s, today, smartphone_share=0.75, now=NOW)
        check_against_raw(s, today)
        venue = s.scalars(select(Venue)).first()
        assert venue is not None
        s.add(
            Presence(
                venue_id=venue.id,
                ward_code=venue.ward_code,
                person_id=s.scalars(select(Person.id)).first(),
                entered_at=NOW - timedelta(minutes=1),
                method=PresenceMethod.DOOR_SCAN,
                client_key="now",
            )
        )
        s.flush()
        again = indicators.compute_day(s, today, smartphone_share=0.75, now=NOW)
        assert not again.kept
        check_against_raw(s, today)
        with pytest.raises(InvalidInput):
            indicators.compute_day(s, today + timedelta(days=1), smartphone_share=0.75, now=NOW)
        with pytest.raises(InvalidInput):
            indicators.days_between(today, today - timedelta(days=1))


def test_the_nightly_job_writes_yesterday_once(
    db: Database, places: Any, settings: Settings
) -> None:
    job = next(j for j in jobs.all_jobs() if j.name == "rollout.indicators")
    yesterday = (localtime.today() - timedelta(days=1)).isoformat()
    first = jobs.run_once(db, settings, [job])["rollout.indicators"]
    assert first.startswith(f"ok: {yesterday}: ") and first.endswith(" rows")
    assert jobs.run_once(db, settings, [job]) == {"rollout.indicators": f"ok: {yesterday}: kept"}


def test_cli_computes_a_range_and_keeps_past_days(
    db: Database, places: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        args = ["rollout", "indicators", "--from", "2026-11-01", "--to", "2026-11-03"]
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 0, result.output
        assert "3 days computed, 0 past days kept" in result.output
        result = runner.invoke(cli_app, args)
        assert "0 days computed, 3 past days kept" in result.output
        result = runner.invoke(cli_app, [*args, "--force"])
        assert "3 days computed" in result.output
        result = runner.invoke(cli_app, ["rollout", "indicators", "--from", "2999-01-01"])
        assert result.exit_code == 1
        result = runner.invoke(cli_app, ["rollout", "indicators", "--from", "yesterday"])
        assert result.exit_code == 2
    finally:
        get_settings.cache_clear()
    with db.session_scope() as s:
        days = s.scalars(select(IndicatorSnapshot.day).distinct()).all()
        assert sorted(days) == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]


# -- the read API ----------------------------------------------------------------------


@pytest.fixture
def computed(db: Database, places: Any) -> dict[str, Any]:
    with db.session_scope() as s:
        seed(s, random.Random(7))
        org = Organisation(
            name="Trường Thử",
            kind=OrganisationKind.SCHOOL,
            sector=Sector.EDUCATION,
            ward_code="99101",
            created_at=NOW - timedelta(days=30),
        )
        s.add(org)
        s.flush()
        s.add(RosterMember(organisation_id=org.id, full_name="A", phone="+84999000002"))
        s.flush()
        s.execute(
            RosterMember.__table__.update()
            .where(RosterMember.organisation_id == org.id)
            .values(created_at=NOW - timedelta(days=30))
        )
        indicators.compute_day(s, DAY, smartphone_share=0.75, now=NOW)
        indicators.compute_day(s, DAY + timedelta(days=1), smartphone_share=0.75, now=NOW)
        return {"org": str(org.id)}


URL = "/api/v1/rollout/indicators"
RANGE = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=1)).isoformat()}


def test_dic_reads_the_province_counts_and_percentages(
    client: TestClient, make_staff: Any, computed: dict[str, Any], db: Database
) -> None:
    headers = make_staff("dic_officer", "99")
    response = client.get(URL, params={"unit": "99", **RANGE}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unit"] == {
        "type": "area",
        "code": "99",
        "name": "Tỉnh Thử Nghiệm",
        "sector": None,
        "organisation_id": None,
        "organisation_name": None,
    }
    assert (body["from"], body["to"]) == (RANGE["from"], RANGE["to"])
    assert [d["day"] for d in body["days"]] == [RANGE["from"], RANGE["to"]]
    first = body["days"][0]
    assert first["signup_target"] == 750_000
    with db.session_scope() as s:
        want = expected(s, DAY, path="99.")
    assert {k: first[k] for k in FIGURES} == want
    if want["venues"]:
        assert first["venues_active_pct"] == round(
            100 * want["venues_active"] / want["venues"],
            1,  # type: ignore[operator]
        )
    else:
        assert first["venues_active_pct"] is None
    # counts and percentages, nothing about a person
    assert set(first) == set(IndicatorDayOut.model_fields)


def test_areas_sectors_and_organisations_are_each_read_by_who_answers_for_them(
    client: TestClient, make_staff: Any, computed: dict[str, Any], db: Database
) -> None:
    ward = make_staff("ward_official", "99101")
    assert client.get(URL, params={"unit": "99101"}, headers=ward).status_code == 200
    assert client.get(URL, params={"unit": "991"}, headers=ward).status_code == 403
    district = make_staff("district_official", "991")
    assert client.get(URL, params={"unit": "99102"}, headers=district).status_code == 200
    assert client.get(URL, params={"unit": "992"}, headers=district).status_code == 403
    # a sector director: their sector in the province, never the area as a whole
    name = f"sd-{uuid.uuid4().hex[:6]}"
    director = make_staff("sector_director", "99", username=name)
    with db.session_scope() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.username == name))
        s.add(SectorDirector(user_id=user_id, sector=Sector.EDUCATION))
    sector = {"unit": "99", "sector": "education", **RANGE}
    response = client.get(URL, params=sector, headers=director)
    assert response.status_code == 200, response.text
    assert response.json()["unit"]["sector"] == "education"
    assert len(response.json()["days"]) == 2
    assert response.json()["days"][0]["roster_members"] >= 1
    assert (
        client.get(URL, params={**sector, "sector": "health"}, headers=director).status_code == 403
    )
    assert client.get(URL, params={"unit": "99"}, headers=director).status_code == 403
    by_org = {"organisation": computed["org"], **RANGE}
    response = client.get(URL, params=by_org, headers=director)
    assert response.status_code == 200, response.text
    day = response.json()["days"][0]
    assert (day["roster_members"], day["roster_signed_up"], day["roster_signed_up_pct"]) == (
        1,
        0,
        0.0,
    )
    assert day["citizens"] is None and day["signup_target"] is None
    # an official of another province sees none of it
    other = make_staff("province_official", "79")
    assert client.get(URL, params=sector, headers=other).status_code == 403
    assert client.get(URL, params=by_org, headers=other).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"unit": "nowhere"},
        {"unit": "99", "from": "2026-11-10", "to": "2026-11-01"},
        {"unit": "99", "from": "2024-01-01", "to": "2026-01-01"},
        {"unit": "99", "from": "yesterday"},
    ],
)
def test_bad_queries_are_refused_with_a_reason(
    client: TestClient, make_staff: Any, places: Any, params: dict[str, str]
) -> None:
    headers = make_staff("dic_officer", "99")
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_the_smartphone_share_is_a_setting() -> None:
    assert Settings().rollout_smartphone_share == 0.75
