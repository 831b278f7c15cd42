"""The formal report: figures from the stored indicators, in the administrative layout."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from epitrace.cli import app as cli_app
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.rollout import formal_report, reports
from epitrace.rollout.models import IndicatorSnapshot, IndicatorUnit
from epitrace.rollout.periods import PeriodType

FIRST, LAST = date(2026, 11, 23), date(2026, 11, 29)


def _day(
    day: date, unit: IndicatorUnit, code: str, scale: int, sector: str = ""
) -> IndicatorSnapshot:
    return IndicatorSnapshot(
        day=day,
        unit_type=unit,
        area_code=code,
        sector=sector,
        population=None if sector else 100_000 * scale,
        smartphone_share=None if sector else 0.75,
        citizens=None if sector else 1_000 * scale + (day - FIRST).days,
        declarations=None if sector else 10 * scale,
        venues=20 * scale,
        venues_with_poster=15 * scale,
        venues_active=10 * scale,
        venues_door_control=5 * scale,
        checkins=1_000 * scale,
        roster_members=100 * scale,
        roster_signed_up=80 * scale,
        computed_at=datetime.now(UTC),
    )


def _seed(db: Database) -> None:
    """Two weeks of the province and its two wards (Bến Thành 1×, Sài Gòn 12×) and a sector."""
    with db.session_scope() as s:
        for offset in range(14):
            day = FIRST - timedelta(days=7) + timedelta(days=offset)
            s.add(_day(day, IndicatorUnit.AREA, "79", 13))
            s.add(_day(day, IndicatorUnit.AREA, "26743", 1))
            s.add(_day(day, IndicatorUnit.AREA, "26734", 12))
            s.add(_day(day, IndicatorUnit.SECTOR, "79", 2, sector="education"))


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils is needed to read the report"
    return subprocess.run(  # noqa: S603 - a fixed tool on a file this test wrote
        [tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_vietnamese_numbers_dates_and_places() -> None:
    assert formal_report.number(1234567) == "1.234.567"
    assert formal_report.percent(87.5) == "87,5%"
    assert formal_report.percent(None) == "—"
    assert formal_report.long_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert formal_report.long_date(date(2026, 12, 15)) == "ngày 15 tháng 12 năm 2026"
    assert formal_report.place_name("Tỉnh Lâm Đồng") == "Lâm Đồng"
    assert formal_report.place_name("Thành phố Hồ Chí Minh") == "Thành phố Hồ Chí Minh"


def test_the_pdf_has_the_administrative_layout_and_the_figures(
    client: TestClient, db: Database, places: Any, make_staff: Any, tmp_path: Path
) -> None:
    _seed(db)
    dic = make_staff("dic_officer", "79")
    response = client.get(f"/rollout/report.pdf?unit=79&from={FIRST}&to={LAST}", headers=dic)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert (
        'filename="bao-cao-trien-khai-79-2026-11-29.pdf"' in response.headers["content-disposition"]
    )
    text = _text(response.content, tmp_path)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ THÔNG TIN VÀ",  # the issuing body takes two lines in its column
        "TRUYỀN THÔNG",
        "ỦY BAN NHÂN DÂN",
        "/BC-STTTT",
        "BÁO CÁO",
        "từ 23/11 đến 29/11/2026",
        "Bảng 1. Kết quả theo đơn vị hành chính",
        "Phường Bến Thành",
        "Tổng cộng",
        "Nơi nhận:",
        "- Lưu: VT.",
        "GIÁM ĐỐC",
    ):
        assert expected in text, expected
    # the province at its last day: 13,000 + 6 citizens of a 975,000 target
    assert "13.006" in text
    assert "1,3%" in text
    # the period before for comparison, summed flows: 7 days × 130 declarations
    assert "Kỳ trước" in text and "910 lượt" in text
    # the ward furthest behind its target is named in part II
    assert "Phường Bến Thành (1,3%)" in text or "Phường Sài Gòn" in text


def test_the_xlsx_has_the_same_tables(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    _seed(db)
    dic = make_staff("dic_officer", "79")
    response = client.get(
        f"/rollout/report.xlsx?unit=Thành phố Hồ Chí Minh&from={FIRST}&to={LAST}", headers=dic
    )
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Theo đơn vị", "Theo ngành", "Đơn vị chậm"]
    rows = list(book["Theo đơn vị"].values)
    assert rows[0][:3] == ("STT", "Đơn vị", "Người dân đăng ký")
    names = [r[1] for r in rows[1:]]
    assert names == ["Phường Sài Gòn", "Phường Bến Thành", "Tổng cộng"] or set(names) == {
        "Phường Sài Gòn",
        "Phường Bến Thành",
        "Tổng cộng",
    }
    sectors = list(book["Theo ngành"].values)
    assert sectors[1][1] == "Giáo dục và Đào tạo" or sectors[1][1]


def test_outside_the_area_or_bad_period_is_refused(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    hanoi = make_staff("dic_officer", "01")
    assert client.get("/rollout/report.pdf?unit=79", headers=hanoi).status_code == 403
    dic = make_staff("dic_officer", "79")
    reversed_ = client.get(f"/rollout/report.pdf?unit=79&from={LAST}&to={FIRST}", headers=dic)
    assert reversed_.status_code in (400, 422)
    assert client.get("/rollout/report.pdf?unit=Không Có", headers=dic).status_code == 422
    page = client.get("/rollout/report", headers=dic)
    assert page.status_code == 200
    assert 'action="/rollout/report.pdf"' in page.text


def test_cli_writes_the_pdf_and_the_xlsx(
    db: Database, places: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        base = ["rollout", "report", "--unit", "79", "--from", str(FIRST), "--to", str(LAST)]
        result = runner.invoke(cli_app, [*base, "--out", str(tmp_path / "bc.pdf")])
        assert result.exit_code == 0, result.output
        assert "BÁO CÁO" in _text((tmp_path / "bc.pdf").read_bytes(), tmp_path)
        result = runner.invoke(cli_app, [*base, "--out", str(tmp_path / "bc.xlsx")])
        assert result.exit_code == 0, result.output
        assert load_workbook(tmp_path / "bc.xlsx").sheetnames[0] == "Theo đơn vị"
        result = runner.invoke(cli_app, [*base, "--out", str(tmp_path / "bc.doc")])
        assert result.exit_code == 2
        result = runner.invoke(
            cli_app, ["rollout", "report", "--unit", "nowhere", "--out", str(tmp_path / "x.pdf")]
        )
        assert result.exit_code == 1
        assert "does not exist" in result.output
    finally:
        get_settings.cache_clear()


def test_units_that_owe_their_report_are_named_in_part_two(
    client: TestClient, db: Database, places: Any, make_staff: Any, tmp_path: Path
) -> None:
    _seed(db)
    with db.session_scope() as s:
        reports.create_form(
            s,
            name="Báo cáo tuần",
            area_code="79",
            period_type=PeriodType.WEEKLY,
            due_days=1,
            levels=["ward"],
            created_by=None,
        )
    dic = make_staff("dic_officer", "79")
    response = client.get(f"/rollout/report.pdf?unit=79&from={FIRST}&to={LAST}", headers=dic)
    assert response.status_code == 200, response.text
    text = " ".join(_text(response.content, tmp_path).split())
    assert "Các đơn vị chưa gửi báo cáo:" in text
    assert "Phường Bến Thành (Báo cáo tuần, 2026-W48)" in text
    assert "Phường Sài Gòn (Báo cáo tuần, 2026-W48)" in text
