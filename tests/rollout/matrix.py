"""Permission-matrix entries of rollout oversight."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.db import utcnow
from epitrace.rollout.models import (
    IndicatorUnit,
    OrganisationAdmin,
    Report,
    ReportForm,
    ReportStatus,
    RosterMember,
    SectorDirector,
)
from epitrace.rollout.periods import PeriodType, parse
from epitrace.rollout.reports import AREA_REVIEWERS, AREA_WRITERS, SECTOR_REVIEWERS
from epitrace.security.roles import Action, Role
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, OrganisationKind, Sector
from tests import factories
from tests.matrix_support import RouteCase, Users
from tests.rollout import adhoc_matrix, dashboard_matrix, team_matrix

ORG_CSV = (
    "Tên đơn vị,Loại hình,Ngành quản lý,Mã phường/xã\nTrường Tiểu học Thử,school,education,26743\n"
).encode()
ROSTER_CSV = "Họ và tên,Số điện thoại\nTrần Thị Bình,0912000002\n".encode()
MEMBER = {"full_name": "Lê Văn Cường", "phone": "0912000003"}
ORG_FORM = {
    "name": "Trường THCS Thử",
    "kind": "school",
    "sector": "education",
    "ward_code": "26743",
}


def _director(session: Session, users: Users, username: str, area: str) -> None:
    if account_service.get_by_username(session, username=username) is None:
        account_service.create_staff(
            session,
            username=username,
            password=factories.STAFF_PASSWORD,
            granter=None,
            grants=[(Role.SECTOR_DIRECTOR, area)],
        )


def _ensure_sector(session: Session, user_id: object, sector: Sector) -> None:
    exists = session.scalar(
        select(SectorDirector.id).where(
            SectorDirector.user_id == user_id, SectorDirector.sector == sector
        )
    )
    if exists is None:
        session.add(SectorDirector(user_id=user_id, sector=sector))
        session.flush()


def setup(session: Session, users: Users) -> dict[str, str]:
    """An education organisation in 79 and one in 01, both kept by the matrix's org admin;
    the matrix's sector director answers for education."""
    orgs = {}
    for key, ward in (("org_in", "26743"), ("org_out", "00070")):
        org = venue_service.create_organisation(
            session,
            name=f"Trường {key}",
            kind=OrganisationKind.SCHOOL,
            sector=Sector.EDUCATION,
            ward_code=ward,
        )
        # a membership alone is not enough: outside the grant's area the org admin is refused
        session.add(OrganisationAdmin(organisation_id=org.id, user_id=users.ids[Role.ORG_ADMIN]))
        member = RosterMember(
            organisation_id=org.id, full_name="Nguyễn Văn An", phone="+84912000001"
        )
        session.add(member)
        session.flush()
        orgs[key] = str(org.id)
        orgs[key.replace("org", "member")] = str(member.id)
    _ensure_sector(session, users.ids[Role.SECTOR_DIRECTOR], Sector.EDUCATION)
    # sector assignments to take away: the matrix's director (inside) and one of 01 (outside)
    _director(session, users, "m-sd-01", "01")
    outside = account_service.get_by_username(session, username="m-sd-01")
    assert outside is not None
    _ensure_sector(session, users.ids[Role.SECTOR_DIRECTOR], Sector.TRANSPORT)
    _ensure_sector(session, outside.id, Sector.TRANSPORT)
    # nobody answers for health yet: appointing is possible again for every role
    session.execute(delete(SectorDirector).where(SectorDirector.sector == Sector.HEALTH))
    return {
        **orgs,
        "org_admin": str(users.ids[Role.ORG_ADMIN]),
        "sd_in": str(users.ids[Role.SECTOR_DIRECTOR]),
        "sd_out": str(outside.id),
    }


def _org(method: str, prefix: str, suffix: str, action: Action, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        prefix + "/{organisation_id}" + suffix,
        action,
        inside=prefix + "/{org_in}" + suffix,
        outside=prefix + "/{org_out}" + suffix,
        **kw,  # type: ignore[arg-type]
    )


API = "/api/v1/organisations"
PAGE = "/rollout/organisations"

CASES = [
    # -- API: organisations
    RouteCase("GET", API, Action.ROLLOUT_ORG_READ, inside=API),
    RouteCase(
        "POST",
        API,
        Action.ROLLOUT_ORGANISATIONS,
        inside=API,
        outside=API,
        body=ORG_FORM,
        outside_body={**ORG_FORM, "ward_code": "00070"},
        new_subject=True,
    ),
    RouteCase(
        "POST",
        API + "/import",
        Action.ROLLOUT_ORGANISATIONS,
        inside=API + "/import",
        files={"file": ("don-vi.csv", ORG_CSV, "text/csv")},
    ),
    _org("GET", API, "", Action.ROLLOUT_ORG_READ),
    _org("PATCH", API, "", Action.ROLLOUT_ORGANISATIONS, body={"head_name": "Lê Thị Hoa"}),
    _org("GET", API, "/admins", Action.ROLLOUT_ORGANISATIONS),
    _org("POST", API, "/admins", Action.ROLLOUT_ORGANISATIONS, body={"username": "m-org_admin"}),
    RouteCase(
        "DELETE",
        API + "/{organisation_id}/admins/{user_id}",
        Action.ROLLOUT_ORGANISATIONS,
        inside=API + "/{org_in}/admins/{org_admin}",
        outside=API + "/{org_out}/admins/{org_admin}",
    ),
    # -- rosters: counts for everyone above, names for the organisation's admin
    _org("GET", API, "/coverage", Action.ROLLOUT_ORG_READ),
    _org("GET", API, "/roster", Action.ROLLOUT_ROSTER),
    _org(
        "POST",
        API,
        "/roster/import",
        Action.ROLLOUT_ROSTER,
        files={"file": ("nhan-su.csv", ROSTER_CSV, "text/csv")},
    ),
    _org("POST", API, "/roster", Action.ROLLOUT_ROSTER, body=MEMBER, ok=(201,)),
    RouteCase(
        "PATCH",
        API + "/{organisation_id}/roster/{member_id}",
        Action.ROLLOUT_ROSTER,
        inside=API + "/{org_in}/roster/{member_in}",
        outside=API + "/{org_out}/roster/{member_out}",
        body={"department": "Bảo vệ"},
    ),
    RouteCase(
        "DELETE",
        API + "/{organisation_id}/roster/{member_id}",
        Action.ROLLOUT_ROSTER,
        inside=API + "/{org_in}/roster/{member_in}",
        outside=API + "/{org_out}/roster/{member_out}",
    ),
    _org("GET", PAGE, "/roster", Action.ROLLOUT_ROSTER),
    _org("GET", PAGE, "/roster/template.xlsx", Action.ROLLOUT_ROSTER),
    _org(
        "POST",
        PAGE,
        "/roster/import",
        Action.ROLLOUT_ROSTER,
        files={"file": ("nhan-su.csv", ROSTER_CSV, "text/csv")},
    ),
    _org("POST", PAGE, "/roster/add", Action.ROLLOUT_ROSTER, form=MEMBER),
    RouteCase(
        "GET",
        PAGE + "/{organisation_id}/roster/{member_id}",
        Action.ROLLOUT_ROSTER,
        inside=PAGE + "/{org_in}/roster/{member_in}",
        outside=PAGE + "/{org_out}/roster/{member_out}",
    ),
    RouteCase(
        "POST",
        PAGE + "/{organisation_id}/roster/{member_id}",
        Action.ROLLOUT_ROSTER,
        inside=PAGE + "/{org_in}/roster/{member_in}",
        outside=PAGE + "/{org_out}/roster/{member_out}",
        form={**MEMBER, "department": "Bảo vệ"},
    ),
    RouteCase(
        "POST",
        PAGE + "/{organisation_id}/roster/{member_id}/remove",
        Action.ROLLOUT_ROSTER,
        inside=PAGE + "/{org_in}/roster/{member_in}/remove",
        outside=PAGE + "/{org_out}/roster/{member_out}/remove",
        form={},
    ),
    # -- pages
    RouteCase("GET", "/rollout", Action.ROLLOUT_ORG_READ, inside="/rollout"),
    RouteCase("GET", PAGE, Action.ROLLOUT_ORG_READ, inside=PAGE),
    RouteCase("GET", PAGE + "/new", Action.ROLLOUT_ORGANISATIONS, inside=PAGE + "/new"),
    RouteCase(
        "POST",
        PAGE,
        Action.ROLLOUT_ORGANISATIONS,
        inside=PAGE,
        outside=PAGE,
        form=ORG_FORM,
        outside_form={**ORG_FORM, "ward_code": "00070"},
        new_subject=True,
    ),
    RouteCase(
        "POST",
        PAGE + "/import",
        Action.ROLLOUT_ORGANISATIONS,
        inside=PAGE + "/import",
        files={"file": ("don-vi.csv", ORG_CSV, "text/csv")},
    ),
    RouteCase(
        "GET", PAGE + "/template.xlsx", Action.ROLLOUT_ORGANISATIONS, inside=PAGE + "/template.xlsx"
    ),
    _org("GET", PAGE, "", Action.ROLLOUT_ORG_READ),
    _org("GET", PAGE, "/edit", Action.ROLLOUT_ORGANISATIONS),
    _org(
        "POST",
        PAGE,
        "/edit",
        Action.ROLLOUT_ORGANISATIONS,
        form={**ORG_FORM, "head_name": "Lê Thị Hoa"},
    ),
    _org("POST", PAGE, "/admins", Action.ROLLOUT_ORGANISATIONS, form={"username": "m-org_admin"}),
    RouteCase(
        "POST",
        PAGE + "/{organisation_id}/admins/{user_id}/remove",
        Action.ROLLOUT_ORGANISATIONS,
        inside=PAGE + "/{org_in}/admins/{org_admin}/remove",
        outside=PAGE + "/{org_out}/admins/{org_admin}/remove",
        form={},
    ),
    RouteCase("GET", "/rollout/sectors", Action.ROLLOUT_MANAGE, inside="/rollout/sectors"),
    RouteCase(
        "POST",
        "/rollout/sectors",
        Action.ROLLOUT_MANAGE,
        inside="/rollout/sectors",
        outside="/rollout/sectors",
        form={"username": "m-sector_director", "sector": "health"},
        outside_form={"username": "m-sd-01", "sector": "health"},
    ),
    RouteCase(
        "POST",
        "/rollout/sectors/{user_id}/{sector}/remove",
        Action.ROLLOUT_MANAGE,
        inside="/rollout/sectors/{sd_in}/transport/remove",
        outside="/rollout/sectors/{sd_out}/transport/remove",
        form={},
    ),
    # -- API: indicators (an area's; sector and organisation reads are tested in
    # test_indicators.py, they follow access.sector_in_area and access.organisation)
    RouteCase(
        "GET",
        "/api/v1/rollout/indicators",
        Action.ROLLOUT_READ,
        inside="/api/v1/rollout/indicators?unit=79",
        outside="/api/v1/rollout/indicators?unit=01",
    ),
    # -- the formal report (an area's figures)
    RouteCase(
        "GET",
        "/rollout/report",
        Action.ROLLOUT_READ,
        inside="/rollout/report?unit=79",
        outside="/rollout/report?unit=01",
    ),
    RouteCase(
        "GET",
        "/rollout/report.{fmt}",
        Action.ROLLOUT_READ,
        inside="/rollout/report.xlsx?unit=79",
        outside="/rollout/report.xlsx?unit=01",
    ),
]


# -- the reporting chain ------------------------------------------------------------------
# A weekly form in 79 and one in 01 (the province, its wards, the sectors and the
# organisations submit). Each run finds the form as defined here and, waiting for review,
# the ward's report, an organisation's (`rorg`) and the transport sector's; nothing else is
# written: the province's own report (79, written by the accounts granted on 79), another
# organisation's (`worg`, by its admin) and the education sector's (by its director) can be
# saved and submitted; the ward's is reviewed by the level above (79), the organisation's by
# the education director, the sector's by the province and the DIC.

WEEK = "2026-W40"
LEVELS = "province,ward,sector,organisation"
AREA_ROLES = frozenset(AREA_WRITERS)  # officials and the DIC: an area's reports


def _reporting_org(session: Session, users: Users, name: str, ward: str) -> uuid.UUID:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = venue_service.create_organisation(
            session,
            name=name,
            kind=OrganisationKind.SCHOOL,
            sector=Sector.EDUCATION,
            ward_code=ward,
        )
        session.add(OrganisationAdmin(organisation_id=org.id, user_id=users.ids[Role.ORG_ADMIN]))
        session.flush()
    return org.id


def report_setup(session: Session, users: Users) -> dict[str, str]:
    names = {}
    period = parse(PeriodType.WEEKLY, WEEK)
    _ensure_sector(session, users.ids[Role.SECTOR_DIRECTOR], Sector.EDUCATION)
    for key, area, ward in (("in", "79", "26743"), ("out", "01", "00070")):
        form = session.scalar(select(ReportForm).where(ReportForm.area_code == area))
        if form is None:
            form = ReportForm(area_code=area, period_type=PeriodType.WEEKLY)
            session.add(form)
        form.name = f"Báo cáo tuần {area}"
        form.due_days = 1
        form.levels = LEVELS
        form.organisation_kinds = ""
        form.active = True
        session.flush()
        session.execute(delete(Report).where(Report.form_id == form.id))
        reviewed = _reporting_org(session, users, f"Trường báo cáo {key}", ward)
        written = _reporting_org(session, users, f"Trường tự viết {key}", ward)
        for unit_type, unit_key, place, org_id, sector in (
            (IndicatorUnit.AREA, ward, ward, None, ""),
            (IndicatorUnit.ORGANISATION, f"org-{reviewed.hex}", ward, reviewed, "education"),
            (IndicatorUnit.SECTOR, "sector-transport", area, None, "transport"),
        ):
            session.add(
                Report(
                    form_id=form.id,
                    unit_type=unit_type,
                    unit_key=unit_key,
                    unit_code=place,
                    organisation_id=org_id,
                    sector=sector,
                    period_start=period.start,
                    period_end=period.end,
                    status=ReportStatus.SUBMITTED,
                    first_submitted_at=utcnow(),
                    submitted_at=utcnow(),
                )
            )
        session.flush()
        names[f"form_{key}"] = str(form.id)
        names[f"rorg_{key}"] = f"org-{reviewed.hex}"
        names[f"worg_{key}"] = f"org-{written.hex}"
    return names


RAPI = "/api/v1/report-forms"
RPAGE = "/rollout/reports"
FORM_BODY = {"name": "Báo cáo tuần", "area_code": "79", "levels": ["ward"]}
FORM_FIELDS = {"name": "Báo cáo tuần", "area_code": "79", "period_type": "weekly", "due_days": "1"}


def _report(
    method: str,
    prefix: str,
    suffix: str,
    action: Action,
    *,
    own: bool = False,
    units: tuple[str, str] | None = None,
    **kw: object,
) -> RouteCase:
    """A route on one report: the province's own (`own`, written by 79's accounts), the
    ward's (read and reviewed from 79), or the named units' (inside, outside)."""
    inside_unit, outside_unit = units or (("79", "01") if own else ("26743", "00070"))
    template = "/reports/{unit_code}/{period}" if prefix == RAPI else "/{unit_code}/{period}"
    return RouteCase(
        method,
        prefix + "/{form_id}" + template + suffix,
        action,
        inside=f"{prefix}/{{form_in}}"
        + template.format(unit_code=inside_unit, period=WEEK)
        + suffix,
        outside=f"{prefix}/{{form_out}}"
        + template.format(unit_code=outside_unit, period=WEEK)
        + suffix,
        setup=report_setup,
        **kw,  # type: ignore[arg-type]
    )


CASES += [
    RouteCase("GET", RAPI, Action.REPORTS_READ, inside=RAPI, setup=report_setup),
    RouteCase(
        "POST",
        RAPI,
        Action.REPORTS_FORMS,
        inside=RAPI,
        outside=RAPI,
        body=FORM_BODY,
        outside_body={**FORM_BODY, "area_code": "01"},
        new_subject=True,
        setup=report_setup,
    ),
    RouteCase(
        "PATCH",
        RAPI + "/{form_id}",
        Action.REPORTS_FORMS,
        inside=RAPI + "/{form_in}",
        outside=RAPI + "/{form_out}",
        body={"due_days": 2, "name": "Báo cáo tuần (sửa)"},
        setup=report_setup,
    ),
    _report("GET", RAPI, "", Action.REPORTS_READ, roles=AREA_ROLES),
    _report(
        "PUT",
        RAPI,
        "",
        Action.REPORTS_WRITE,
        own=True,
        body={"results": "Đã làm"},
        roles=AREA_ROLES,
    ),
    _report(
        "POST",
        RAPI,
        "/submit",
        Action.REPORTS_WRITE,
        own=True,
        body={"results": "Xong"},
        roles=AREA_ROLES,
    ),
    _report(
        "POST",
        RAPI,
        "/return",
        Action.REPORTS_REVIEW,
        body={"comment": "Thiếu số liệu"},
        roles=AREA_REVIEWERS,
    ),
    _report("POST", RAPI, "/approve", Action.REPORTS_REVIEW, body={}, roles=AREA_REVIEWERS),
    # an organisation's report: read by everyone whose grant covers its ward (its admin and
    # its sector's director among them), written by its admin, reviewed by its director
    _report("GET", RAPI, "", Action.REPORTS_READ, units=("{rorg_in}", "{rorg_out}")),
    _report(
        "PUT",
        RAPI,
        "",
        Action.REPORTS_WRITE,
        units=("{worg_in}", "{worg_out}"),
        body={"results": "Đã làm"},
        roles=frozenset({Role.ORG_ADMIN}),
    ),
    _report(
        "POST",
        RAPI,
        "/submit",
        Action.REPORTS_WRITE,
        units=("{worg_in}", "{worg_out}"),
        body={},
        roles=frozenset({Role.ORG_ADMIN}),
    ),
    _report(
        "POST",
        RAPI,
        "/return",
        Action.REPORTS_REVIEW,
        units=("{rorg_in}", "{rorg_out}"),
        body={"comment": "Thiếu số liệu"},
        roles=frozenset({Role.SECTOR_DIRECTOR}),
    ),
    _report(
        "POST",
        RAPI,
        "/approve",
        Action.REPORTS_REVIEW,
        units=("{rorg_in}", "{rorg_out}"),
        body={},
        roles=frozenset({Role.SECTOR_DIRECTOR}),
    ),
    # a sector's report: read by the province's officials and its directors, written by its
    # directors, reviewed by the province and the DIC
    _report(
        "GET",
        RAPI,
        "",
        Action.REPORTS_READ,
        units=("sector-education", "sector-education"),
        roles=AREA_ROLES | {Role.SECTOR_DIRECTOR},
    ),
    _report(
        "POST",
        RAPI,
        "/submit",
        Action.REPORTS_WRITE,
        units=("sector-education", "sector-education"),
        body={"results": "Toàn ngành đã triển khai"},
        roles=frozenset({Role.SECTOR_DIRECTOR}),
    ),
    _report(
        "POST",
        RAPI,
        "/approve",
        Action.REPORTS_REVIEW,
        units=("sector-transport", "sector-transport"),
        body={},
        roles=SECTOR_REVIEWERS,
    ),
    RouteCase(
        "GET",
        RAPI + "/{form_id}/rate",
        Action.REPORTS_READ,
        roles=AREA_ROLES,
        inside=RAPI + "/{form_in}/rate?area=79&period=" + WEEK,
        outside=RAPI + "/{form_out}/rate?area=01&period=" + WEEK,
        setup=report_setup,
    ),
    RouteCase(
        "POST",
        RAPI + "/{form_id}/remind/{area_code}/{period}",
        Action.REPORTS_REMIND,
        inside=RAPI + "/{form_in}/remind/79/" + WEEK,
        outside=RAPI + "/{form_out}/remind/01/" + WEEK,
        setup=report_setup,
    ),
    RouteCase("GET", RPAGE, Action.REPORTS_READ, inside=RPAGE, setup=report_setup),
    RouteCase(
        "POST",
        RPAGE + "/forms/{form_id}",
        Action.REPORTS_FORMS,
        inside=RPAGE + "/forms/{form_in}",
        outside=RPAGE + "/forms/{form_out}",
        form={"name": "Báo cáo tuần", "due_days": "2", "levels": "ward", "active": "1"},
        setup=report_setup,
    ),
    RouteCase(
        "POST",
        RPAGE + "/forms",
        Action.REPORTS_FORMS,
        inside=RPAGE + "/forms",
        outside=RPAGE + "/forms",
        form={**FORM_FIELDS, "levels": "ward"},
        outside_form={**FORM_FIELDS, "area_code": "01", "levels": "ward"},
        new_subject=True,
        setup=report_setup,
    ),
    _report("GET", RPAGE, "", Action.REPORTS_READ, roles=AREA_ROLES),
    _report(
        "POST",
        RPAGE,
        "",
        Action.REPORTS_WRITE,
        own=True,
        form={"results": "Đã làm"},
        roles=AREA_ROLES,
    ),
    _report(
        "POST",
        RPAGE,
        "/review",
        Action.REPORTS_REVIEW,
        form={"decision": "approve"},
        roles=AREA_REVIEWERS,
    ),
    _report("GET", RPAGE, "", Action.REPORTS_READ, units=("{rorg_in}", "{rorg_out}")),
    _report(
        "POST",
        RPAGE,
        "",
        Action.REPORTS_WRITE,
        units=("{worg_in}", "{worg_out}"),
        form={"results": "Đã làm", "do": "submit"},
        roles=frozenset({Role.ORG_ADMIN}),
    ),
    _report(
        "POST",
        RPAGE,
        "/review",
        Action.REPORTS_REVIEW,
        units=("{rorg_in}", "{rorg_out}"),
        form={"decision": "return", "comment": "Thiếu số liệu"},
        roles=frozenset({Role.SECTOR_DIRECTOR}),
    ),
    _report(
        "POST",
        RPAGE,
        "/review",
        Action.REPORTS_REVIEW,
        units=("sector-transport", "sector-transport"),
        form={"decision": "approve"},
        roles=SECTOR_REVIEWERS,
    ),
    RouteCase(
        "GET",
        RPAGE + "/{form_id}/rate",
        Action.REPORTS_READ,
        roles=AREA_ROLES,
        inside=RPAGE + "/{form_in}/rate?area=79&period=" + WEEK,
        outside=RPAGE + "/{form_out}/rate?area=01&period=" + WEEK,
        setup=report_setup,
    ),
    RouteCase(
        "GET",
        RPAGE + "/{form_id}/rate.{fmt}",
        Action.REPORTS_READ,
        roles=AREA_ROLES,
        inside=RPAGE + "/{form_in}/rate.xlsx?area=79&period=" + WEEK,
        outside=RPAGE + "/{form_out}/rate.xlsx?area=01&period=" + WEEK,
        setup=report_setup,
    ),
    RouteCase(
        "POST",
        RPAGE + "/{form_id}/remind/{area_code}/{period}",
        Action.REPORTS_REMIND,
        inside=RPAGE + "/{form_in}/remind/79/" + WEEK,
        outside=RPAGE + "/{form_out}/remind/01/" + WEEK,
        form={},
        setup=report_setup,
    ),
]

# community teams, household visits and their coverage
CASES += team_matrix.CASES
# the province dashboard
CASES += dashboard_matrix.CASES
# ad-hoc requests (báo cáo đột xuất)
CASES += adhoc_matrix.CASES
