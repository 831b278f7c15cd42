"""Rosters: upload whole or not at all, matching by phone, coverage per person for the
organisation's admin (audited), counts and percentages only for everyone above."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from epitrace.accounts.models import Person
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database, utcnow
from epitrace.rollout import rosters
from epitrace.rollout.models import RosterMember
from epitrace.rollout.spreadsheets import FileRejected
from epitrace.security.models import AuditEntry
from epitrace.venues import service as venue_service
from epitrace.venues.models import Sector, VenueCategory
from tests.declarations.factories import declare
from tests.rollout.conftest import citizen_person

ROSTER = (
    "Họ và tên,Số điện thoại,Số CCCD,Phòng ban,Đối tượng\n"
    "Nguyễn Thị Lan,0912 000 001,079190001234,Hành chính,cán bộ\n"
    "Trần Văn Bình,+84912000002,,Kế toán,nhân viên\n"
    "Lê Minh Châu,912000003,,Lớp 10A1,học sinh\n"
)


def _upload(
    client: TestClient, headers: dict[str, str], org: uuid.UUID, content: bytes, **query: Any
) -> Any:
    return client.post(
        f"/api/v1/organisations/{org}/roster/import",
        params=query,
        files={"file": ("nhan-su.csv", content, "text/csv")},
        headers=headers,
    )


def _members(db: Database) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(RosterMember)) or 0


def test_coverage_per_person_and_counts_above(
    client: TestClient,
    db: Database,
    make_org: Callable[..., uuid.UUID],
    org_admin: Any,
    make_staff: Any,
    sector_director: Any,
) -> None:
    org = make_org("Trường THPT Trưng Vương")
    admin = org_admin(org)
    assert _upload(client, admin, org, ROSTER.encode()).json() == {
        "added": 3,
        "updated": 0,
        "removed": 0,
    }
    now = utcnow()
    with db.session_scope() as s:
        venue = venue_service.create(
            s, name="Cổng trường", category=VenueCategory.SCHOOL, ward_code="26743",
            organisation_id=org,
        )  # fmt: skip
        other_venue = venue_service.create(
            s, name="Chợ", category=VenueCategory.MARKET, ward_code="26743"
        )
        lan = citizen_person(s, phone="0912000001", name="Lan")
        binh = citizen_person(s, phone="0912000002", name="Bình")
        # Lan declared two days ago, checked in at the school yesterday; two relatives, one
        # of whom declared
        declare(s, person_id=lan, now=now - timedelta(days=2))
        s.add(
            Presence(
                venue_id=venue.id, ward_code="26743", person_id=lan,
                entered_at=now - timedelta(days=1), method=PresenceMethod.SELF_SCAN,
            )
        )  # fmt: skip
        child = Person(full_name="Con", guardian_id=lan)
        mother = Person(full_name="Mẹ", guardian_id=lan)
        s.add_all([child, mother])
        s.flush()
        declare(s, person_id=child.id, now=now - timedelta(hours=5))
        # Bình declared long ago and checked in elsewhere only
        declare(s, person_id=binh, now=now - timedelta(days=20))
        s.add(
            Presence(
                venue_id=other_venue.id, ward_code="26743", person_id=binh,
                entered_at=now - timedelta(hours=3), method=PresenceMethod.SELF_SCAN,
            )
        )  # fmt: skip

    roster = client.get(f"/api/v1/organisations/{org}/roster", headers=admin).json()
    by_phone = {m["phone"]: m for m in roster["items"]}
    lan_row, binh_row, chau_row = (by_phone[f"+8491200000{i}"] for i in (1, 2, 3))
    assert (lan_row["signed_up"], lan_row["declared"], lan_row["checked_in"]) == (
        True,
        True,
        True,
    )
    assert (lan_row["relatives"], lan_row["relatives_declared"]) == (2, 1)
    assert (binh_row["signed_up"], binh_row["declared"], binh_row["checked_in"]) == (
        True,
        False,
        False,
    )
    assert chau_row["signed_up"] is False
    assert chau_row["kind"] == "student"
    assert roster["coverage"]["signed_up"] == 2
    # a longer window counts Bình's old declaration
    longer = client.get(f"/api/v1/organisations/{org}/roster?days=30", headers=admin).json()
    assert longer["coverage"]["declared"] == 2

    # above the organisation: counts and percentages, never names
    for headers in (
        make_staff("ward_official", "26743"),
        make_staff("dic_officer", "79"),
        make_staff("district_official", "79"),
        sector_director(Sector.EDUCATION),
    ):
        counts = client.get(f"/api/v1/organisations/{org}/coverage", headers=headers)
        assert counts.status_code == 200
        body = counts.json()
        assert body["members"] == 3
        assert body["signed_up"] == 2
        assert round(body["signed_up_pct"], 1) == 66.7
        assert "Nguyễn" not in counts.text
        names = client.get(f"/api/v1/organisations/{org}/roster", headers=headers)
        assert names.status_code == 403
        page = client.get(f"/rollout/organisations/{org}", headers=headers)
        assert page.status_code == 200
        assert "Nguyễn Thị Lan" not in page.text
        assert "66,7%" in page.text
    # every read of the roster with names is in the audit log
    with db.session_scope() as s:
        reads = s.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_type == "roster", AuditEntry.action == "read"
            )
        ).all()
        assert len(reads) == 2
        assert {r.subject_id for r in reads} == {str(org)}


def test_only_the_organisations_own_admin_sees_names(
    client: TestClient, make_org: Callable[..., uuid.UUID], org_admin: Any
) -> None:
    mine = make_org("Công ty A")
    theirs = make_org("Công ty B")
    admin = org_admin(mine)
    assert client.get(f"/api/v1/organisations/{mine}/roster", headers=admin).status_code == 200
    assert client.get(f"/api/v1/organisations/{theirs}/roster", headers=admin).status_code == 403
    assert _upload(client, admin, theirs, ROSTER.encode()).status_code == 403
    assert client.get(f"/rollout/organisations/{theirs}/roster", headers=admin).status_code == 403


def test_broken_roster_is_refused_whole(
    client: TestClient, db: Database, make_org: Callable[..., uuid.UUID], org_admin: Any
) -> None:
    org = make_org()
    admin = org_admin(org)
    assert _upload(client, admin, org, ROSTER.encode()).status_code == 200
    broken = (
        "Họ và tên,Số điện thoại,Số CCCD,Phòng ban,Đối tượng\n"
        "Người mới,0933 111 222,,,\n"  # 2: fine
        ",0933111223,,,\n"  # 3: no name
        "Sai số,12345,,,\n"  # 4: not a mobile number
        "Trùng,0933111222,,,\n"  # 5: same phone as line 2
        "Sai giấy tờ,0933111224,12AB,,\n"  # 6: bad ID number
        "Sai loại,0933111225,,,giám đốc sở\n"  # 7: unknown kind
        "Không số,,,,\n"  # 8: no phone
    )
    response = _upload(client, admin, org, broken.encode())
    assert response.status_code == 422
    lines = {(p["line"], p["column"]) for p in response.json()["lines"]}
    assert lines == {
        (3, "full_name"),
        (4, "phone"),
        (5, "phone"),
        (6, "id_number"),
        (7, "kind"),
        (8, "phone"),
    }
    # nothing changed: the earlier roster is still whole
    assert _members(db) == 3
    # a missing column is a header problem, reported on line 1
    no_phone = _upload(client, admin, org, "Họ và tên\nAn\n".encode())
    assert no_phone.status_code == 422
    assert no_phone.json()["lines"][0]["line"] == 1


def test_replace_or_add(
    client: TestClient, db: Database, make_org: Callable[..., uuid.UUID], org_admin: Any
) -> None:
    org = make_org()
    admin = org_admin(org)
    _upload(client, admin, org, ROSTER.encode())
    new = (
        "Họ và tên,Số điện thoại,Phòng ban\n"
        "Nguyễn Thị Lan,0912000001,Ban giám hiệu\n"
        "Mới,0933000009,\n"
    )
    added = _upload(client, admin, org, new.encode(), replace="false")
    assert added.json() == {"added": 1, "updated": 1, "removed": 0}
    assert _members(db) == 4
    replaced = _upload(client, admin, org, new.encode(), replace="true")
    assert replaced.json() == {"added": 0, "updated": 0, "removed": 2}
    assert _members(db) == 2


def test_edit_one_person(
    client: TestClient, db: Database, make_org: Callable[..., uuid.UUID], org_admin: Any
) -> None:
    org = make_org()
    admin = org_admin(org)
    url = f"/api/v1/organisations/{org}/roster"
    created = client.post(
        url, json={"full_name": "Hồ Văn Nam", "phone": "0977123456"}, headers=admin
    )
    assert created.status_code == 201, created.text
    member = created.json()
    again = client.post(url, json={"full_name": "Khác", "phone": "0977 123 456"}, headers=admin)
    assert again.status_code == 422
    bad = client.patch(f"{url}/{member['id']}", json={"phone": "123"}, headers=admin)
    assert bad.status_code == 422
    ok = client.patch(f"{url}/{member['id']}", json={"department": "Bảo vệ"}, headers=admin)
    assert ok.json()["department"] == "Bảo vệ"
    assert client.delete(f"{url}/{member['id']}", headers=admin).status_code == 204
    assert client.delete(f"{url}/{member['id']}", headers=admin).status_code == 404


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.text(alphabet="AĂÂĐaăâđ ,;\"'=+-@\t", max_size=12),
            st.one_of(
                st.sampled_from(["0912000001", "0912000002", "12", "", "0912 000 003"]),
                st.text(alphabet="0123456789+ ", max_size=14),
            ),
        ),
        max_size=8,
    )
)
def test_any_roster_loads_whole_or_not_at_all(
    rows: list[tuple[str, str]], session: Any, places: Any
) -> None:
    """Property: after an upload either every valid line is on the roster, or nothing changed
    and the refusal names only lines of the file."""
    org = venue_service.create_organisation(session, name="Thử", ward_code="26743")
    before = rosters.get_members(session, organisation_id=org.id)
    lines = ["Họ và tên,Số điện thoại"] + [
        ",".join('"' + v.replace('"', '""') + '"' for v in row) for row in rows
    ]
    content = ("\n".join(lines) + "\n").encode()
    try:
        result = rosters.import_roster(
            session, organisation=org, filename="x.csv", content=content, replace=True
        )
    except FileRejected as exc:
        assert rosters.get_members(session, organisation_id=org.id) == before
        assert all(0 <= p.line <= len(lines) for p in exc.problems)
    else:
        members = rosters.get_members(session, organisation_id=org.id)
        assert len(members) == result.added
        assert len({m.phone for m in members}) == len(members)
    session.rollback()


def test_a_roster_is_kept_by_uploading_it_again(session: Any, places: Any, settings: Any) -> None:
    """Every upload confirms the people it lists, changed or not; those no upload or edit
    confirmed for the retention period leave (`rollout.purge_rosters`), the others stay."""
    from epitrace.rollout import tasks

    org = venue_service.create_organisation(session, name="Trường Thử", ward_code="26743")
    rosters.import_roster(
        session, organisation=org, filename="a.csv", content=ROSTER.encode(), replace=True
    )
    period = timedelta(days=settings.roster_retention_days)
    # a year on, the school uploads only its staff (adding, not replacing) and edits Châu
    for member in rosters.get_members(session, organisation_id=org.id):
        member.confirmed_at = utcnow() - period - timedelta(days=1)
    session.flush()
    staff = "\n".join(ROSTER.splitlines()[:3]) + "\n"
    result = rosters.import_roster(
        session, organisation=org, filename="b.csv", content=staff.encode(), replace=False
    )
    assert (result.added, result.updated) == (0, 0)  # nothing changed, both confirmed anyway
    assert tasks.purge_rosters(session, settings) == "1 roster members"
    assert sorted(m.full_name for m in rosters.get_members(session, organisation_id=org.id)) == [
        "Nguyễn Thị Lan",
        "Trần Văn Bình",
    ]
    lan = next(m for m in rosters.get_members(session, organisation_id=org.id))
    lan.confirmed_at = utcnow() - period - timedelta(days=1)
    rosters.update_member(session, organisation=org, member=lan, values={"department": "Văn thư"})
    assert tasks.purge_rosters(session, settings) == "0 roster members"
