"""Tracing in the escrow privacy mode in Chromium: a health officer asks to open a case's days
on the case's openings page, two officials approve with their share files, the worker opens
the days, and the case page shows the contacts found; a damaged file and the same official
twice are refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from epitrace.cli_support import acting
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.escrow import crypto
from epitrace.escrow import service as escrow_service
from epitrace.security.keys import Keyring
from tests import factories
from tests.e2e.conftest import staff_page
from tests.escrow.test_escrow import ceremony, seed


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app of these tests runs in the escrow mode."""
    return settings.model_copy(update={"privacy_mode": "escrow"})


def test_two_officials_open_a_case_from_its_page(
    launch: Callable[..., Browser],
    live_server: str,
    db: Database,
    places: Any,
    settings: Settings,
    tmp_path: Path,
) -> None:
    with db.session_scope() as s:
        for name, role, area in (("yte-mo", "health_officer", "79"),
                                 ("tinh-mo", "province_official", "79"),
                                 ("cua-mo", "venue_operator", "26743")):  # fmt: skip
            factories.staff(s, username=name, role=role, area=area)
        s.flush()
        made = ceremony(s)
        world = seed(
            s, ring=Keyring(tmp_path / "ring"), settings=settings, suffix="E",
            operator=acting(s, "cua-mo"),
        )  # fmt: skip
        case_id = world.case.id
    files = {}
    for holder in ("a", "b"):
        files[holder] = tmp_path / f"share-{holder}.json"
        files[holder].write_text(crypto.share_file(made, holder), encoding="utf-8")
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not a share", encoding="utf-8")
    browser = launch()

    officer = staff_page(browser, live_server, "yte-mo")
    officer.goto(f"/cases/{case_id}")
    expect(officer.get_by_test_id("run-trace")).to_have_count(0)  # sealed: no plain trace
    officer.get_by_test_id("escrow-openings").click()
    expect(officer.locator("h1")).to_have_text("Mở dữ liệu quét mã của một ca bệnh")
    expect(officer.get_by_test_id("no-openings")).to_be_visible()
    officer.get_by_label("Lý do (ghi vào nhật ký truy cập)").fill("Truy vết ca F0 ở chợ")
    officer.get_by_test_id("ask-opening").click()
    expect(officer.locator(".flash").first).to_contain_text("Hai cán bộ phải phê duyệt")
    expect(officer.get_by_test_id("opening-state")).to_contain_text("Đang chờ phê duyệt")

    # a damaged file is refused with the reason, and nothing is recorded
    officer.get_by_label("Tệp phần khóa của bạn").set_input_files(damaged)
    officer.get_by_test_id("approve-opening").click()
    expect(officer.locator(".flash-error")).to_contain_text("không phải tệp phần khóa")
    officer.get_by_label("Tệp phần khóa của bạn").set_input_files(files["a"])
    officer.get_by_test_id("approve-opening").click()
    expect(officer.locator(".flash").first).to_contain_text("Phần khóa A của bạn đã được ghi")
    expect(officer.get_by_test_id("openings")).to_contain_text("A")
    # the same official cannot give the second share
    officer.get_by_label("Tệp phần khóa của bạn").set_input_files(files["b"])
    officer.get_by_test_id("approve-opening").click()
    expect(officer.locator(".flash-error")).to_contain_text("một cán bộ không thể một mình mở")

    province = staff_page(browser, live_server, "tinh-mo")
    province.goto(f"/cases/{case_id}/escrow")
    expect(province.get_by_test_id("ask-opening")).to_have_count(0)  # approves, does not ask
    province.get_by_label("Tệp phần khóa của bạn").set_input_files(files["b"])
    province.get_by_test_id("approve-opening").click()
    expect(province.locator(".flash").first).to_contain_text("Đã đủ hai phần khóa")
    expect(province.get_by_test_id("opening-state")).to_contain_text("Đã phê duyệt")
    # the worker's job opens the days (every minute in a deployment)
    with db.session_scope() as s:
        assert escrow_service.open_next_approved(s, secret=settings.secret_key().encode())
    province.reload()
    expect(province.get_by_test_id("opening-state")).to_contain_text("Đã truy vết")

    officer.goto(f"/cases/{case_id}")
    expect(officer.get_by_test_id("trace-summary")).to_be_visible()
    expect(officer.get_by_test_id("f1-table")).to_contain_text("Trần Thị Bình E")
    officer.goto(f"/cases/{case_id}/escrow")
    expect(officer.get_by_test_id("opening-state")).to_contain_text("Đã truy vết")
    expect(officer.get_by_test_id("approve-opening")).to_have_count(0)
