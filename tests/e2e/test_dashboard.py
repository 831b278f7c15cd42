"""The province dashboard in Chromium: the trend charts draw, the league table ranks the
districts, and a district's row opens its own dashboard."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from epitrace.db import Database
from tests import factories
from tests.e2e.conftest import sign_in_staff
from tests.rollout.dashboard_factories import seed, ward_squares

# The canvas has been drawn on by Chart.js: some pixel is not transparent.
_CANVAS_DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !canvas.chart || canvas.width === 0) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


def test_dic_opens_the_dashboard_and_drills_down(page: Page, db: Database, places: Any) -> None:
    seed(db)
    ward_squares(db)
    with db.session_scope() as s:
        factories.staff(s, username="so-tttt", role="dic_officer", area="99")
    sign_in_staff(page, "so-tttt", factories.STAFF_PASSWORD)
    page.goto("/rollout")
    page.get_by_role("link", name="Bảng điều hành của tỉnh").click()
    page.wait_for_url("**/rollout/dashboard")
    expect(page.get_by_test_id("dashboard-unit")).to_contain_text("Tỉnh Thử Nghiệm")
    expect(page.get_by_test_id("hl-citizens-pct")).to_have_text("60,0%")

    for chart in ("chart-activity", "chart-signup"):
        page.wait_for_function(_CANVAS_DRAWN, arg=chart)
    expect(page.get_by_test_id("coverage-map").locator("path")).to_have_count(3)

    rows = page.get_by_test_id("league-unit-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Huyện Hai")  # 80 % before 30 %
    expect(page.get_by_test_id("league-orgs-best").locator("tbody tr")).to_have_count(10)

    rows.first.get_by_role("link", name="Huyện Hai").click()
    page.wait_for_url("**/rollout/dashboard?unit=992*")
    expect(page.get_by_test_id("dashboard-unit")).to_contain_text("Huyện Hai")
    expect(page.get_by_test_id("league-unit-row")).to_have_count(1)
    expect(page.get_by_test_id("dashboard-crumbs")).to_contain_text("Tỉnh Thử Nghiệm")
    page.wait_for_function(_CANVAS_DRAWN, arg="chart-signup")
