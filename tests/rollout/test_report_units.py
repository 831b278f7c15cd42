"""Organisations and sectors in the reporting chain: who is expected, the chain (an
organisation under its sector, a people's-committee organisation under its ward, the sectors
under the form's area), refusals outside the chain, the rate, reminders and form edits."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.alerts.models import OutboxMessage
from epitrace.db import Database
from epitrace.errors import Conflict, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import periods
from epitrace.rollout import reports as svc
from epitrace.rollout.models import (
    IndicatorSnapshot,
    IndicatorUnit,
    OrganisationAdmin,
    Report,
    ReportStatus,
    SectorDirector,
)
from epitrace.rollout.periods import PeriodType
from epitrace.security.models import AuditEntry
from epitrace.venues import service as venue_service
from epitrace.venues.models import OrganisationKind, Sector
from tests import factories

ACTOR = svc.Actor(None, "Người thử")
WEEK = periods.parse(PeriodType.WEEKLY, "2026-W40")
VI = {"Accept-Language": "vi"}
SECTORS = len(svc.REPORTING_SECTORS)  # 8: every sector but the people's committees


def _orgs(session: Session) -> dict[str, uuid.UUID]:
    """A school (education) in 99101, a factory (industry and trade) in 99102, a state agency
    of the people's committee in 99201."""
    made = {}
    for key, kind, sector, ward in (
        ("school", OrganisationKind.SCHOOL, Sector.EDUCATION, "99101"),
        ("factory", OrganisationKind.ENTERPRISE, Sector.INDUSTRY_TRADE, "99102"),
        ("agency", OrganisationKind.STATE_AGENCY, Sector.PEOPLE_COMMITTEE, "99201"),
    ):
        org = venue_service.create_organisation(
            session, name=f"Đơn vị {key}", kind=kind, sector=sector, ward_code=ward
        )
        made[key] = org.id
    return made


def _form(session: Session, levels: tuple[str, ...], kinds: tuple[str, ...] = ()) -> Any:
    return svc.create_form(
        session,
        name="Báo cáo tuần",
        area_code="99",
        period_type=PeriodType.WEEKLY,
        due_days=1,
        levels=levels,
        organisation_kinds=kinds,
        created_by=None,
    )


def _path(session: Session, code: str) -> str:
    path = place_service.path_of(session, code=code)
    assert path is not None
    return path


def _org(session: Session, org_id: uuid.UUID) -> svc.Unit:
    return svc.get_unit(session, code=svc.organisation_key(org_id))


def _sector(session: Session, form: Any, sector: Sector) -> svc.Unit:
    return svc.get_unit(session, code=svc.sector_key(sector), form=form)


# -- who is expected, and the chain -------------------------------------------------------


def test_organisations_and_sectors_are_expected_and_chained(session: Session, places: Any) -> None:
    orgs = _orgs(session)
    form = _form(session, ("province", "ward", "sector", "organisation"))
    expected = svc.expected_units(session, form, area_path=_path(session, "99"))
    tiers = [u.tier for u in expected]
    assert tiers.count("ward") == 3 and tiers.count("province") == 1
    assert tiers.count("sector") == SECTORS and tiers.count("organisation") == 3
    # an organisation reports to its sector; the sectors to the province
    education = _sector(session, form, Sector.EDUCATION)
    assert [u.code for u in svc.expected_children(session, form, education)] == [
        svc.organisation_key(orgs["school"])
    ]
    province = svc.get_unit(session, code="99")
    children = svc.expected_children(session, form, province)
    assert sorted(u.tier for u in children) == ["sector"] * SECTORS + ["ward"] * 3
    # a people's-committee organisation reports to its ward
    ward = svc.get_unit(session, code="99201")
    assert [u.code for u in svc.expected_children(session, form, ward)] == [
        svc.organisation_key(orgs["agency"])
    ]
    assert svc.expected_children(session, form, _org(session, orgs["school"])) == []
    # below a district: its wards' organisations, no sector
    district = svc.expected_units(session, form, area_path=_path(session, "991"))
    assert sorted(u.tier for u in district) == ["organisation", "organisation", "ward", "ward"]


def test_a_form_may_ask_only_some_kinds_of_organisation(session: Session, places: Any) -> None:
    orgs = _orgs(session)
    form = _form(session, ("organisation",), kinds=("school",))
    expected = svc.expected_units(session, form, area_path=_path(session, "99"))
    assert [u.code for u in expected] == [svc.organisation_key(orgs["school"])]
    with pytest.raises(InvalidInput):
        svc.check_unit(session, form, _org(session, orgs["factory"]))
    with pytest.raises(InvalidInput):  # sectors are not asked by this form
        svc.check_unit(session, form, _sector(session, form, Sector.EDUCATION))
    with pytest.raises(InvalidInput):
        _form(session, ("organisation",), kinds=("spaceport",))


def _snapshot(session: Session, org_id: uuid.UUID, ward: str, day: date, checkins: int) -> None:
    session.add(
        IndicatorSnapshot(
            day=day,
            unit_type=IndicatorUnit.ORGANISATION,
            area_code=ward,
            organisation_id=org_id,
            venues=2,
            venues_active=1,
            checkins=checkins,
            roster_members=10,
            roster_signed_up=7,
            computed_at=datetime(2026, 10, 5, tzinfo=UTC),
        )
    )
    session.flush()


def test_a_sector_is_approved_only_after_its_organisations(session: Session, places: Any) -> None:
    orgs = _orgs(session)
    form = _form(session, ("sector", "organisation"))
    school = _org(session, orgs["school"])
    _snapshot(session, orgs["school"], "99101", date(2026, 10, 3), 40)
    _snapshot(session, orgs["school"], "99101", date(2026, 10, 4), 60)
    kw: dict[str, Any] = {"form": form, "period": WEEK, "actor": ACTOR}
    report = svc.submit(session, unit=school, results="Đã cài đặt cho 7 người", **kw)
    # pre-filled with the organisation's own indicators (no population, no declarations)
    assert report.figures is not None
    assert report.figures["checkins"] == 100 and report.figures["roster_signed_up_pct"] == 70.0
    assert report.figures["population"] is None and report.figures["declarations"] is None
    assert (report.unit_type, report.unit_code, report.organisation_id) == (
        IndicatorUnit.ORGANISATION,
        "99101",
        orgs["school"],
    )
    education = _sector(session, form, Sector.EDUCATION)
    svc.submit(session, unit=education, **kw)
    with pytest.raises(Conflict) as caught:
        svc.approve(session, unit=education, **kw)
    assert caught.value.code == "children_not_approved"
    svc.return_report(session, unit=school, comment="Bổ sung số người", **kw)
    svc.submit(session, unit=school, results="Đã bổ sung", **kw)
    svc.approve(session, unit=school, **kw)
    svc.approve(session, unit=education, **kw)
    with pytest.raises(Conflict) as caught:
        svc.save(session, unit=school, results="x", difficulties=None, proposals=None, **kw)
    assert caught.value.code == "report_locked"
    # a sector without organisations waits for nobody
    health = _sector(session, form, Sector.HEALTH)
    svc.submit(session, unit=health, **kw)
    assert svc.approve(session, unit=health, **kw).status is ReportStatus.APPROVED


def test_the_rate_counts_organisations_and_sectors(session: Session, places: Any) -> None:
    orgs = _orgs(session)
    form = _form(session, ("ward", "sector", "organisation"))
    deadline = WEEK.deadline(form.due_days)
    kw: dict[str, Any] = {"form": form, "period": WEEK, "actor": ACTOR}
    school = _org(session, orgs["school"])
    svc.submit(session, unit=school, now=deadline - timedelta(hours=1), **kw)
    svc.approve(session, unit=school, **kw)
    education = _sector(session, form, Sector.EDUCATION)
    svc.submit(session, unit=education, now=deadline + timedelta(hours=1), **kw)
    result = svc.rate(session, form=form, area=svc.get_unit(session, code="99"), period=WEEK)
    rows = {r.code: (r.expected, r.submitted, r.on_time, r.approved) for r in result.rows}
    # the sectors count in the province's own row, the organisations in their ward's district
    assert rows == {"99": (SECTORS, 1, 0, 0), "991": (4, 1, 1, 1), "992": (2, 0, 0, 0)}
    total = result.total
    assert (total.expected, total.submitted, total.on_time, total.approved) == (
        SECTORS + 6,
        2,
        1,
        1,
    )
    lagging = {u.code: u.tier for u in result.lagging}
    assert lagging[svc.organisation_key(orgs["factory"])] == "organisation"
    assert lagging[svc.sector_key(Sector.HEALTH)] == "sector"
    assert svc.sector_key(Sector.EDUCATION) not in lagging
    # a district's rate has its organisations and no sector
    district = svc.rate(session, form=form, area=svc.get_unit(session, code="991"), period=WEEK)
    assert (district.total.expected, district.total.submitted) == (4, 1)


def test_reminders_reach_organisation_admins_and_sector_directors(
    session: Session, places: Any
) -> None:
    orgs = _orgs(session)
    factories.staff(session, username="qt-nha-may", role="org_admin", area="99102")
    factories.staff(session, username="gd-so-ct", role="sector_director", area="99")
    factories.staff(session, username="gd-khac-tinh", role="sector_director", area="01")
    admin = account_service.get_by_username(session, username="qt-nha-may")
    director = account_service.get_by_username(session, username="gd-so-ct")
    elsewhere = account_service.get_by_username(session, username="gd-khac-tinh")
    assert admin is not None and director is not None and elsewhere is not None
    session.add(OrganisationAdmin(organisation_id=orgs["factory"], user_id=admin.id))
    session.add(SectorDirector(user_id=director.id, sector=Sector.INDUSTRY_TRADE))
    session.add(SectorDirector(user_id=elsewhere.id, sector=Sector.INDUSTRY_TRADE))
    session.flush()
    form = _form(session, ("sector", "organisation"))
    now = datetime(2026, 10, 6, 3, 0, tzinfo=UTC)
    sent = svc.remind(
        session, form=form, area=svc.get_unit(session, code="99"), period=WEEK, now=now
    )
    # the factory's admin and the industry director (of this province only) are reminded;
    # the other organisations and sectors have nobody to remind
    assert (sent.units, sent.recipients) == (2, 2)
    assert svc.organisation_key(orgs["school"]) in sent.without_staff
    assert svc.sector_key(Sector.HEALTH) in sent.without_staff
    inboxes = set(
        session.scalars(
            select(OutboxMessage.user_id).where(OutboxMessage.template == svc.REMINDER_TEMPLATE)
        )
    )
    assert inboxes == {admin.id, director.id}
    again = svc.remind(
        session, form=form, area=svc.get_unit(session, code="99"), period=WEEK, now=now
    )
    assert (again.recipients, again.duplicates) == (0, 2)


def test_changing_the_levels_keeps_the_reports_written(session: Session, places: Any) -> None:
    orgs = _orgs(session)
    form = _form(session, ("ward", "organisation"))
    school = _org(session, orgs["school"])
    svc.submit(session, form=form, unit=school, period=WEEK, actor=ACTOR)
    changes = svc.update_form(session, form=form, levels=["ward"], due_days=3, name="Báo cáo")
    assert changes == {
        "name": ["Báo cáo tuần", "Báo cáo"],
        "due_days": [1, 3],
        "levels": ["ward,organisation", "ward"],
    }
    assert session.scalar(select(func.count()).select_from(Report)) == 1
    result = svc.rate(session, form=form, area=svc.get_unit(session, code="99"), period=WEEK)
    assert (result.total.expected, result.total.submitted) == (3, 0)
    assert svc.update_form(session, form=form, levels=["ward"]) == {}
    with pytest.raises(InvalidInput):
        svc.update_form(session, form=form, levels=[])
    with pytest.raises(InvalidInput):
        svc.update_form(session, form=form, due_days=99)


# -- through the API: who may do what -------------------------------------------------------


@pytest.fixture
def units(client: TestClient, db: Database, places: Any, make_staff: Any) -> dict[str, Any]:
    """The DIC of 99, officials, two organisation admins, the education and the industry
    directors, and a weekly form that wards, sectors and organisations submit."""
    people = {
        "dic": make_staff("dic_officer", "99", "stttt"),
        "province": make_staff("province_official", "99", "tinh"),
        "d991": make_staff("district_official", "991", "huyen"),
        "w99101": make_staff("ward_official", "99101", "xa-a"),
        "w99201": make_staff("ward_official", "99201", "xa-c"),
        "school_admin": make_staff("org_admin", "99101", "qt-truong"),
        "factory_admin": make_staff("org_admin", "99102", "qt-nha-may"),
        "education": make_staff("sector_director", "99", "gd-so-gd"),
        "industry": make_staff("sector_director", "99", "gd-so-ct"),
        "dic_other": make_staff("dic_officer", "01", "stttt-khac"),
    }
    with db.session_scope() as s:
        orgs = _orgs(s)
        for username, org in (("qt-truong", "school"), ("qt-nha-may", "factory")):
            account = account_service.get_by_username(s, username=username)
            assert account is not None
            s.add(OrganisationAdmin(organisation_id=orgs[org], user_id=account.id))
        for username, sector in (
            ("gd-so-gd", Sector.EDUCATION),
            ("gd-so-ct", Sector.INDUSTRY_TRADE),
        ):
            account = account_service.get_by_username(s, username=username)
            assert account is not None
            s.add(SectorDirector(user_id=account.id, sector=sector))
    response = client.post(
        "/api/v1/report-forms",
        json={
            "name": "Báo cáo tuần",
            "area_code": "99",
            "period_type": "weekly",
            "due_days": 1,
            "levels": ["ward", "sector", "organisation"],
        },
        headers=people["dic"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["levels"] == ["ward", "sector", "organisation"]
    keys = {k: svc.organisation_key(v) for k, v in orgs.items()}
    return {"form": response.json()["id"], **people, **keys}


def _url(units: dict[str, Any], unit: str, suffix: str = "") -> str:
    return f"/api/v1/report-forms/{units['form']}/reports/{unit}/{WEEK.key}{suffix}"


def _detail(response: Any) -> str:
    return str(response.json().get("detail", ""))


def test_an_organisation_report_goes_to_its_sector_director(
    client: TestClient, units: dict[str, Any]
) -> None:
    school = units["school"]
    response = client.get(_url(units, school), headers=units["school_admin"])
    assert response.status_code == 200
    assert response.json()["status"] == "missing" and response.json()["unit_type"] == "organisation"
    # nobody outside the organisation writes its report
    for who in ("w99101", "factory_admin", "education", "dic"):
        response = client.post(
            _url(units, school, "/submit"), json={}, headers={**units[who], **VI}
        )
        assert response.status_code == 403, who
    assert "Chỉ quản trị viên của đơn vị" in _detail(
        client.post(_url(units, school, "/submit"), json={}, headers={**units["w99101"], **VI})
    )
    response = client.post(
        _url(units, school, "/submit"), json={"results": "Đã xong"}, headers=units["school_admin"]
    )
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    # the level above an organisation is its sector's director, not the area's officials
    for who in ("d991", "province", "industry", "school_admin"):
        response = client.post(
            _url(units, school, "/approve"), json={}, headers={**units[who], **VI}
        )
        assert response.status_code == 403, who
    assert "lãnh đạo ngành quản lý" in _detail(
        client.post(_url(units, school, "/approve"), json={}, headers={**units["d991"], **VI})
    )
    response = client.post(
        _url(units, school, "/return"), json={"comment": "Thiếu"}, headers=units["education"]
    )
    assert response.status_code == 200 and response.json()["status"] == "returned"
    client.post(_url(units, school, "/submit"), json={}, headers=units["school_admin"])
    response = client.post(_url(units, school, "/approve"), json={}, headers=units["education"])
    assert response.status_code == 200 and response.json()["status"] == "approved"
    # approved: locked, with the reason in Vietnamese
    response = client.post(
        _url(units, school, "/submit"), json={}, headers={**units["school_admin"], **VI}
    )
    assert response.status_code == 409 and "đã được phê duyệt" in _detail(response)
    # the sector's own report: its director writes, the province and the DIC review
    education = svc.sector_key(Sector.EDUCATION)
    for who in ("school_admin", "industry", "dic"):
        response = client.post(_url(units, education, "/submit"), json={}, headers=units[who])
        assert response.status_code == 403, who
    response = client.post(_url(units, education, "/submit"), json={}, headers=units["education"])
    assert response.status_code == 200
    for who in ("education", "d991", "dic_other"):
        response = client.post(_url(units, education, "/approve"), json={}, headers=units[who])
        assert response.status_code == 403, who
    response = client.post(_url(units, education, "/approve"), json={}, headers=units["dic"])
    assert response.status_code == 200 and response.json()["status"] == "approved"
    # the school's admin reads only their own organisation's report, not the ward's
    assert client.get(_url(units, "99101"), headers=units["school_admin"]).status_code == 403
    assert (
        client.get(_url(units, units["factory"]), headers=units["school_admin"]).status_code == 403
    )
    assert client.get(_url(units, education), headers=units["school_admin"]).status_code == 403
    # the rate, read by the DIC, shows the approved organisation and sector
    response = client.get(
        f"/api/v1/report-forms/{units['form']}/rate",
        params={"area": "99", "period": WEEK.key},
        headers=units["dic"],
    )
    total = response.json()["total"]
    assert (total["expected"], total["submitted"], total["approved"]) == (3 + SECTORS + 3, 2, 2)


def test_a_people_committee_organisation_is_reviewed_by_its_ward(
    client: TestClient, db: Database, units: dict[str, Any], make_staff: Any
) -> None:
    agency = units["agency"]
    headers = make_staff("org_admin", "99201", "qt-co-quan")
    with db.session_scope() as s:
        account = account_service.get_by_username(s, username="qt-co-quan")
        assert account is not None
        s.add(
            OrganisationAdmin(
                organisation_id=uuid.UUID(agency.removeprefix(svc.ORG_PREFIX)), user_id=account.id
            )
        )
    assert client.post(_url(units, agency, "/submit"), json={}, headers=headers).status_code == 200
    # the ward's report waits for the organisation's
    assert (
        client.post(_url(units, "99201", "/submit"), json={}, headers=units["w99201"]).status_code
        == 200
    )
    response = client.get(_url(units, "99201"), headers=units["w99201"])
    assert response.json()["pending_children"] == [agency]
    for who in ("education", "w99101"):
        response = client.post(
            _url(units, agency, "/approve"), json={}, headers={**units[who], **VI}
        )
        assert response.status_code == 403, who
    assert "cán bộ phường/xã" in _detail(
        client.post(_url(units, agency, "/approve"), json={}, headers={**units["education"], **VI})
    )
    response = client.post(_url(units, agency, "/approve"), json={}, headers=units["w99201"])
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_unknown_units_are_refused_with_a_reason(client: TestClient, units: dict[str, Any]) -> None:
    for unit in (
        "org-nothex",
        f"org-{uuid.uuid4().hex}",
        "sector-spaceport",
        "sector-people_committee",
    ):
        response = client.get(_url(units, unit), headers={**units["dic"], **VI})
        assert response.status_code == 422, unit
        assert "Không có đơn vị" in _detail(response)


def test_the_dic_edits_a_form_and_the_change_is_audited(
    client: TestClient, db: Database, units: dict[str, Any]
) -> None:
    url = f"/api/v1/report-forms/{units['form']}"
    response = client.patch(
        url,
        json={"due_days": 3, "levels": ["ward"], "organisation_kinds": ["school"]},
        headers=units["dic"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["due_days"], body["levels"], body["organisation_kinds"]) == (
        3,
        ["ward"],
        ["school"],
    )
    for who in ("dic_other", "d991", "education"):
        assert client.patch(url, json={"due_days": 2}, headers=units[who]).status_code == 403, who
    response = client.patch(url, json={"levels": ["hamlet"]}, headers={**units["dic"], **VI})
    assert response.status_code == 422
    # deactivated: no longer listed, yet editable again by the DIC
    assert client.patch(url, json={"active": False}, headers=units["dic"]).status_code == 200
    listed = client.get("/api/v1/report-forms", headers=units["dic"]).json()
    assert units["form"] not in [f["id"] for f in listed]
    response = client.patch(url, json={"active": True}, headers=units["dic"])
    assert response.status_code == 200 and response.json()["active"] is True
    with db.session_scope() as s:
        entries = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "update", AuditEntry.subject_type == "report_form"
            )
        ).all()
        assert len(entries) == 3
        assert entries[0].detail is not None
        assert entries[0].detail["changes"]["due_days"] == [1, 3]


def test_a_unit_dropped_from_the_form_keeps_its_report_readable(
    client: TestClient, units: dict[str, Any]
) -> None:
    school = units["school"]
    client.post(
        _url(units, school, "/submit"), json={"results": "Đã xong"}, headers=units["school_admin"]
    )
    response = client.patch(
        f"/api/v1/report-forms/{units['form']}", json={"levels": ["ward"]}, headers=units["dic"]
    )
    assert response.status_code == 200
    response = client.get(_url(units, school), headers=units["school_admin"])
    assert response.status_code == 200 and response.json()["results"] == "Đã xong"
    # the factory was never asked under the new levels: refused
    response = client.get(_url(units, units["factory"]), headers={**units["factory_admin"], **VI})
    assert response.status_code == 422


def test_the_form_card_edits_a_form_and_explains_a_bad_change(
    client: TestClient, units: dict[str, Any]
) -> None:
    url = f"/rollout/reports/forms/{units['form']}"
    fields = {"name": "Báo cáo tuần (sửa)", "due_days": "2", "levels": ["ward", "organisation"]}
    response = client.post(url, data={**fields, "levels": []}, headers=units["dic"])
    assert response.status_code == 422 and "Hãy chọn cấp đơn vị" in response.text
    response = client.post(
        url, data=fields, headers=units["dic"], follow_redirects=False
    )  # the box "active" unticked: the form stops asking
    assert response.status_code == 303
    hub = client.get("/rollout/reports", headers=units["dic"])
    assert "Báo cáo tuần (sửa) (ngừng áp dụng)" in hub.text
    assert units["form"] not in client.get("/rollout/reports", headers=units["school_admin"]).text
    response = client.post(url, data={**fields, "active": "1"}, headers=units["d991"])
    assert response.status_code == 403
