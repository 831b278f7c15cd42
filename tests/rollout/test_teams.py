"""Community teams: the ward sets up teams and households; a member records visits once per
client key (a resend answers with the stored visit); bounds; who may do what; coverage."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.accounts import service as account_service
from epitrace.accounts.models import UserAccount
from epitrace.db import Database, utcnow
from epitrace.errors import Conflict, InvalidInput
from epitrace.rollout import teams
from epitrace.rollout.models import Household, HouseholdVisit, TeamMember
from epitrace.security.models import AuditEntry

API = "/api/v1/rollout"


def _visits(db: Database) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(HouseholdVisit)) or 0


@pytest.fixture
def ward(make_staff: Any, places: Any) -> dict[str, str]:
    return dict(make_staff("ward_official", "26743"))


def _team(client: TestClient, headers: dict[str, str], name: str = "Tổ khu phố 1") -> str:
    response = client.post(
        f"{API}/teams", json={"name": name, "ward_code": "26743"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _household(client: TestClient, headers: dict[str, str], team: str, **fields: Any) -> str:
    body = {"address": "12 Lê Lợi", "street": "Lê Lợi", "head_name": "Võ Văn Tám", "members": 4}
    response = client.post(
        f"{API}/teams/{team}/households", json={**body, **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _visit(key: str, **fields: Any) -> dict[str, Any]:
    return {
        "client_key": key,
        "visited": True,
        "leaflet": True,
        "smartphones": 3,
        "installed": 2,
        "helped": 1,
        **fields,
    }


@pytest.fixture
def team_with_volunteer(
    client: TestClient, ward: dict[str, str], citizen: Any
) -> tuple[str, str, dict[str, str]]:
    """A team of 26743 with a household, and a citizen volunteer added by phone number."""
    team = _team(client, ward)
    household = _household(client, ward, team)
    added = client.post(
        f"{API}/teams/{team}/members",
        json={"phone": "0912 345 678", "full_name": "Nguyễn Văn Tình"},
        headers=ward,
    )
    assert added.status_code == 201, added.text
    return team, household, citizen("0912345678")


def test_a_resend_answers_with_the_stored_visit(
    client: TestClient, db: Database, team_with_volunteer: Any
) -> None:
    _team_id, household, volunteer = team_with_volunteer
    mine = client.get(f"{API}/visits/households", headers=volunteer).json()
    assert [h["id"] for h in mine] == [household]
    assert mine[0]["last_visit"] is None
    key = uuid.uuid4().hex
    url = f"{API}/households/{household}/visits"
    first = client.post(url, json=_visit(key), headers=volunteer)
    assert first.status_code == 201, first.text
    again = client.post(url, json=_visit(key), headers=volunteer)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    # a resend that differs (edited on the phone after a lost answer) keeps the stored visit
    changed = client.post(url, json=_visit(key, notes="khác"), headers=volunteer)
    assert changed.json()["id"] == first.json()["id"] and changed.json()["notes"] == ""
    assert _visits(db) == 1
    assert (
        client.get(f"{API}/visits/households", headers=volunteer).json()[0]["last_visit"][
            "client_key"
        ]
        == key
    )


def test_a_key_reused_for_another_household_is_refused(
    client: TestClient, db: Database, ward: dict[str, str], team_with_volunteer: Any
) -> None:
    team, household, volunteer = team_with_volunteer
    other = _household(client, ward, team, address="14 Lê Lợi")
    key = uuid.uuid4().hex
    assert (
        client.post(
            f"{API}/households/{household}/visits", json=_visit(key), headers=volunteer
        ).status_code
        == 201
    )
    response = client.post(f"{API}/households/{other}/visits", json=_visit(key), headers=volunteer)
    assert response.status_code == 409
    assert _visits(db) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"smartphones": 5}, "smartphones"),  # more than the household's 4 people
        ({"installed": 4}, "installed"),  # more than those with a smartphone
        ({"helped": 3}, "helped"),  # more than those with the suite
        ({"visited": False}, "visited"),  # nobody home, yet people counted
        ({"visited_at": (utcnow() + timedelta(hours=2)).isoformat()}, "visited_at"),
        ({"visited_at": (utcnow() - timedelta(days=40)).isoformat()}, "visited_at"),
    ],
)
def test_impossible_figures_are_refused_by_field(
    client: TestClient,
    db: Database,
    team_with_volunteer: Any,
    fields: dict[str, Any],
    field: str,
) -> None:
    _team_id, household, volunteer = team_with_volunteer
    response = client.post(
        f"{API}/households/{household}/visits",
        json=_visit(uuid.uuid4().hex, **fields),
        headers={**volunteer, "Accept-Language": "vi"},
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]
    assert _visits(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"client_key": "short", "visited": True},
        {"client_key": "a" * 65, "visited": True},
        {"client_key": "bad key!", "visited": True},
        {"client_key": uuid.uuid4().hex, "visited": True, "smartphones": -1},
        {"client_key": uuid.uuid4().hex, "visited": True, "notes": "x" * 501},
        {"client_key": uuid.uuid4().hex},
    ],
)
def test_malformed_visits_get_a_422(
    client: TestClient, db: Database, team_with_volunteer: Any, body: dict[str, Any]
) -> None:
    _team_id, household, volunteer = team_with_volunteer
    response = client.post(f"{API}/households/{household}/visits", json=body, headers=volunteer)
    assert response.status_code == 422
    assert _visits(db) == 0


def test_only_members_of_the_households_team_record_visits(
    client: TestClient,
    db: Database,
    ward: dict[str, str],
    make_staff: Any,
    citizen: Any,
    team_with_volunteer: Any,
) -> None:
    team, household, volunteer = team_with_volunteer
    other_team = _team(client, ward, "Tổ khu phố 2")
    elsewhere = _household(client, ward, other_team)
    url = f"{API}/households/{elsewhere}/visits"
    # a member of another team of the same ward
    assert client.post(url, json=_visit(uuid.uuid4().hex), headers=volunteer).status_code == 403
    # a citizen on no team, and the ward official who is not a member
    stranger = citizen("0912999888")
    own = f"{API}/households/{household}/visits"
    assert client.post(own, json=_visit(uuid.uuid4().hex), headers=stranger).status_code == 403
    assert client.post(own, json=_visit(uuid.uuid4().hex), headers=ward).status_code == 403
    # once taken off the team, the volunteer is refused too
    detail = client.get(f"{API}/teams/{team}", headers=ward).json()
    member = detail["members"][0]["id"]
    assert client.delete(f"{API}/teams/{team}/members/{member}", headers=ward).status_code == 204
    assert client.post(own, json=_visit(uuid.uuid4().hex), headers=volunteer).status_code == 403
    assert _visits(db) == 0


def test_a_ward_official_on_a_team_records_visits_in_their_ward_only(
    client: TestClient, db: Database, make_staff: Any, places: Any
) -> None:
    ward = make_staff("ward_official", "26743", username="can-bo-phuong")
    other = make_staff("ward_official", "26734", username="can-bo-sai-gon")
    team = _team(client, ward)
    household = _household(client, ward, team)
    add = f"{API}/teams/{team}/members"
    assert client.post(add, json={"username": "can-bo-phuong"}, headers=ward).status_code == 201
    # staff who could not record visits in the ward are not added: another ward's official,
    # a health officer
    make_staff("health_officer", "26743", username="y-te-phuong")
    for username in ("can-bo-sai-gon", "y-te-phuong"):
        refused = client.post(add, json={"username": username}, headers=ward)
        assert refused.status_code == 422
        assert "username" in refused.json()["errors"]
    url = f"{API}/households/{household}/visits"
    assert client.post(url, json=_visit(uuid.uuid4().hex), headers=ward).status_code == 201
    # a member whose grant no longer covers the household's ward (moved since being added)
    with db.session_scope() as s:
        account = account_service.get_by_username(s, username="can-bo-sai-gon")
        assert account is not None
        s.add(TeamMember(team_id=uuid.UUID(team), user_id=account.id))
    assert client.post(url, json=_visit(uuid.uuid4().hex), headers=other).status_code == 403


def test_team_management_stays_in_the_wards_area(
    client: TestClient, db: Database, ward: dict[str, str], make_staff: Any
) -> None:
    team = _team(client, ward)
    other = make_staff("ward_official", "26734")
    assert client.get(f"{API}/teams/{team}", headers=other).status_code == 403
    refused = client.post(f"{API}/teams", json={"name": "X", "ward_code": "26743"}, headers=other)
    assert refused.status_code == 403
    district = make_staff("province_official", "79")
    assert (
        client.post(
            f"{API}/teams/{team}/members", json={"phone": "0912000001"}, headers=district
        ).status_code
        == 403
    )
    assert [t["id"] for t in client.get(f"{API}/teams", headers=other).json()] == []
    # a province is not a ward
    assert (
        client.post(f"{API}/teams", json={"name": "X", "ward_code": "79"}, headers=ward).status_code
        == 422
    )
    # the same name twice in a ward
    again = client.post(
        f"{API}/teams", json={"name": "Tổ  khu phố 1", "ward_code": "26743"}, headers=ward
    )
    assert again.status_code == 422
    # every read of a team with its names is audited (a refused one reads nothing)
    assert client.get(f"{API}/teams/{team}", headers=ward).status_code == 200
    with db.session_scope() as s:
        reads = s.scalar(
            select(func.count()).where(
                AuditEntry.subject_type == "community_team", AuditEntry.action == "read"
            )
        )
    assert reads == 1


def test_members_are_a_staff_username_or_a_phone(client: TestClient, ward: dict[str, str]) -> None:
    team = _team(client, ward)
    url = f"{API}/teams/{team}/members"
    assert client.post(url, json={}, headers=ward).status_code == 422
    assert (
        client.post(url, json={"phone": "0912000001", "username": "x"}, headers=ward).status_code
        == 422
    )
    assert client.post(url, json={"phone": "12345"}, headers=ward).status_code == 422
    assert client.post(url, json={"username": "nobody-here"}, headers=ward).status_code == 422
    assert client.post(url, json={"phone": "0912000001"}, headers=ward).status_code == 201
    assert client.post(url, json={"phone": "+84912000001"}, headers=ward).status_code == 422


def test_coverage_per_team_and_for_the_district(
    client: TestClient, db: Database, make_staff: Any, team_with_volunteer: Any
) -> None:
    team, household, volunteer = team_with_volunteer
    ward = make_staff("ward_official", "26743")
    second = _household(client, ward, team, address="16 Lê Lợi", members=2)
    _household(client, ward, team, address="18 Lê Lợi")
    url = f"{API}/households/{{}}/visits"
    client.post(url.format(household), json=_visit(uuid.uuid4().hex), headers=volunteer)
    # nobody home at the second, then a later visit finds them
    client.post(
        url.format(second),
        json={"client_key": uuid.uuid4().hex, "visited": False, "leaflet": True},
        headers=volunteer,
    )
    client.post(
        url.format(second),
        json=_visit(uuid.uuid4().hex, smartphones=2, installed=2, helped=2),
        headers=volunteer,
    )
    # a later "nobody home" at the first does not undo its visit
    client.post(
        url.format(household),
        json={"client_key": uuid.uuid4().hex, "visited": False},
        headers=volunteer,
    )
    shown = client.get(f"{API}/visits/households", headers=volunteer).json()
    assert {h["id"]: h["last_visit"]["visited"] for h in shown if h["last_visit"]} == {
        household: True,
        second: True,
    }
    province = make_staff("province_official", "79")
    body = client.get(f"{API}/coverage/teams", params={"unit": "79"}, headers=province).json()
    assert body["total"] == body["teams"][0] | {"team_id": None, "name": "", "ward_code": ""}
    row = body["teams"][0]
    assert (row["households"], row["visited"], row["visited_pct"]) == (3, 2, 66.7)
    assert (row["smartphones"], row["installed"], row["helped"]) == (5, 4, 3)
    assert row["installed_pct"] == 80.0 and row["leaflets"] == 2 and row["people"] == 10
    assert (
        client.get(f"{API}/coverage/teams", params={"unit": "01"}, headers=province).status_code
        == 403
    )
    assert (
        client.get(f"{API}/coverage/teams", params={"unit": "nope"}, headers=province).status_code
        == 422
    )
    # the ward's own default is its ward
    ward_view = client.get(f"{API}/coverage/teams", headers=ward).json()
    assert ward_view["unit"] == "26743" and ward_view["total"]["visited"] == 2


def test_assign_a_street(client: TestClient, db: Database, ward: dict[str, str]) -> None:
    first = _team(client, ward)
    second = _team(client, ward, "Tổ khu phố 2")
    _household(client, ward, first, address="1 Lê Lợi", street="Lê Lợi")
    _household(client, ward, first, address="2 Lê Lợi", street="Lê Lợi")
    _household(client, ward, first, address="3 Pasteur", street="Pasteur")
    moved = client.post(f"{API}/teams/{second}/streets", json={"street": " Lê  Lợi "}, headers=ward)
    assert moved.json() == {"households": 2}
    with db.session_scope() as s:
        by_team = dict(
            s.execute(select(Household.team_id, func.count()).group_by(Household.team_id)).all()
        )
    assert by_team == {uuid.UUID(first): 1, uuid.UUID(second): 2}


def test_record_visit_service_rules(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        team = teams.create_team(s, ward_code="26743", name="Tổ 1")
        household = teams.add_household(
            s, team=team, values=teams.HouseholdIn("1 Lê Lợi", "Chủ hộ", 3, "Lê Lợi")
        )
        user = uuid.uuid4()
        account = UserAccount(id=user, kind="staff", username="svc-test")
        s.add(account)
        s.flush()
        values = teams.VisitIn(client_key="k" * 10, visited=True, smartphones=1, installed=1)
        visit, created = teams.record_visit(s, household=household, recorded_by=user, values=values)
        assert created
        same, created = teams.record_visit(s, household=household, recorded_by=user, values=values)
        assert same.id == visit.id and not created
        other = teams.add_household(
            s, team=team, values=teams.HouseholdIn("2 Lê Lợi", "Chủ hộ", 3, "Lê Lợi")
        )
        with pytest.raises(Conflict):
            teams.record_visit(s, household=other, recorded_by=user, values=values)
        with pytest.raises(InvalidInput):
            teams.add_household(s, team=team, values=teams.HouseholdIn("", "", 0))


def test_team_pages_keep_what_was_typed_and_explain_in_vietnamese(
    client: TestClient, db: Database, ward: dict[str, str]
) -> None:
    created = client.post(
        "/rollout/teams",
        data={"name": "Tổ khu phố 3", "ward_code": "26743"},
        headers=ward,
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = created.headers["location"]
    twice = client.post(
        "/rollout/teams", data={"name": "Tổ khu phố 3", "ward_code": "26743"}, headers=ward
    )
    assert twice.status_code == 422 and "Phường/xã đã có tổ mang tên này." in twice.text
    no_ward = client.post("/rollout/teams", data={"name": "Tổ 4", "ward_code": "79"}, headers=ward)
    assert no_ward.status_code == 422
    bad = client.post(
        page + "/households",
        data={"address": "20 Lê Lợi", "head_name": "Chủ hộ", "members": "0"},
        headers=ward,
    )
    assert bad.status_code == 422
    assert 'value="20 Lê Lợi"' in bad.text and "Nhập một số từ 1 đến 50." in bad.text
    ok = client.post(
        page + "/households",
        data={"address": "20 Lê Lợi", "street": "Lê Lợi", "head_name": "Chủ hộ", "members": "3"},
        headers=ward,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    member = client.post(page + "/members", data={"phone": "abc"}, headers=ward)
    assert member.status_code == 422 and 'value="abc"' in member.text
    added = client.post(
        page + "/members", data={"phone": "0912000123", "full_name": "Mai"}, headers=ward
    )
    assert added.status_code == 200 and "Mai" in added.text  # followed to the team page
    street = client.post(page + "/streets", data={"street": " "}, headers=ward)
    assert street.status_code == 422
    shown = client.get(page, headers=ward)
    assert (
        "20 Lê Lợi" in shown.text
        and "Tổ khu phố 3" in client.get("/rollout/teams", headers=ward).text
    )
    coverage = client.get("/rollout/coverage", headers=ward)
    assert coverage.status_code == 200 and "Tổ khu phố 3" in coverage.text


def test_a_household_list_loads_whole_or_not_at_all(
    client: TestClient, db: Database, ward: dict[str, str]
) -> None:
    team = _team(client, ward)
    header = "Địa chỉ,Tuyến phố,Chủ hộ,Số nhân khẩu\n"
    broken = header + "1 Lê Lợi,Lê Lợi,Võ Văn Tám,4\n,Lê Lợi,Không địa chỉ,2\n3 Lê Lợi,,Ai đó,0\n"
    url = f"{API}/teams/{team}/households/import"

    def upload(text: str, path: str = url) -> Any:
        files = {"file": ("ho.csv", text.encode(), "text/csv")}
        return client.post(path, files=files, headers={**ward, "Accept-Language": "vi"})

    refused = upload(broken)
    assert refused.status_code == 422
    lines = {(p["line"], p["column"]) for p in refused.json()["lines"]}
    assert lines == {(3, "address"), (4, "members")}
    page = upload(broken, f"/rollout/teams/{team}/households/import")
    assert page.status_code == 422 and "Không có gì bị thay đổi" in page.text
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0
    assert upload(
        header + "1 Lê Lợi,Lê Lợi,Võ Văn Tám,4\n2 Lê Lợi,Lê Lợi,Đặng Thị Chín,2\n"
    ).json() == {"households": 2}


def test_two_copies_of_a_visit_arriving_at_once_store_one(
    db: Database, places: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second copy passes the look-up before the first is stored: the unique key refuses
    it, and it answers with the stored visit."""
    with db.session_scope() as s:
        team = teams.create_team(s, ward_code="26743", name="Tổ 1")
        household = teams.add_household(
            s, team=team, values=teams.HouseholdIn("1 Lê Lợi", "Chủ hộ", 3)
        )
        account = UserAccount(kind="staff", username="race-test")
        s.add(account)
        s.flush()
        values = teams.VisitIn(client_key="race-key-1", visited=True)
        first, _ = teams.record_visit(s, household=household, recorded_by=account.id, values=values)
        real = teams.find_visit
        calls: list[int] = []

        def late(session: Any, **kw: Any) -> Any:
            calls.append(1)
            return None if len(calls) == 1 else real(session, **kw)

        monkeypatch.setattr(teams, "find_visit", late)
        again, created = teams.record_visit(
            s, household=household, recorded_by=account.id, values=values
        )
        assert (again.id, created) == (first.id, False)
        assert s.scalar(select(func.count()).select_from(HouseholdVisit)) == 1
