"""The staff home shows the figures of the caller's own area, each linking to the list behind it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from epitrace.accounts.models import Person
from epitrace.cases import models as case_models
from epitrace.cases.models import Case, QuarantineKind, QuarantineOrder
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database, utcnow
from epitrace.declarations.models import Declaration
from epitrace.feedback.models import Feedback
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory

HOME_WARD = "26743"  # Phường Bến Thành, Hồ Chí Minh
OTHER_WARD = "00070"  # Phường Hoàn Kiếm, Hà Nội


def _activity(db: Database, ward: str, *, idle_venues: int) -> None:
    """One of each thing a figure counts, in `ward`, plus venues nobody visited."""
    now = utcnow()
    with db.session_scope() as s:
        person = Person(full_name="Lê Văn Tám", phone=f"+8491{ward}00")
        s.add(person)
        s.flush()
        s.add(
            Declaration(
                person_id=person.id,
                subject="self",
                full_name=person.full_name,
                id_kind="cccd",
                id_number="079200000001",
                birth_year=1990,
                gender="male",
                nationality="VN",
                ward_code=ward,
                street="1 Lê Lợi",
                phone=person.phone,
                consent=True,
                has_symptoms=True,
            )
        )
        s.add(
            Feedback(
                person_id=person.id,
                category="other",
                ward_code=ward,
                text="Chợ không dán mã QR.",
                created_at=now - timedelta(days=3),
            )
        )
        s.add(
            Case(
                person_id=person.id,
                ward_code=ward,
                test_type=case_models.TestType.PCR,
                sampled_at=now - timedelta(days=1),
                confirmed_at=now,
            )
        )
        s.add(
            QuarantineOrder(
                person_id=person.id,
                reason="f0",
                kind=QuarantineKind.HOME,
                ward_code=ward,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=14),
            )
        )
        visited = venue_service.create(
            s, name="Chợ", category=VenueCategory.MARKET, ward_code=ward, address="Lê Lợi"
        )
        s.add(
            Presence(
                venue_id=visited.id,
                ward_code=ward,
                person_id=person.id,
                entered_at=now - timedelta(minutes=5),
                method=PresenceMethod.SELF_SCAN,
            )
        )
        for n in range(idle_venues):
            venue_service.create(
                s, name=f"Quán {n}", category=VenueCategory.SHOP_RESTAURANT, ward_code=ward
            )


def _figures(html: str) -> dict[str, tuple[str, str]]:
    """label → (count, link) of each figure on the page."""
    found = re.findall(
        r'<a href="([^"]+)" data-testid="figure">\s*<span class="figure-count">([\d.]+)</span>'
        r'\s*<span class="figure-label">([^<]+)</span>',
        html,
    )
    return {label: (count, href.replace("&amp;", "&")) for href, count, label in found}


def test_health_officer_sees_the_figures_of_their_province_only(
    client: TestClient, make_staff: Any, db: Database, places: Any
) -> None:
    _activity(db, HOME_WARD, idle_venues=2)
    _activity(db, OTHER_WARD, idle_venues=5)
    officer = make_staff("health_officer", "79")
    figures = _figures(client.get("/staff", headers=officer).text)
    assert figures["Ca bệnh đang điều trị (F0)"] == ("1", "/cases")
    assert figures["Người đang cách ly, điều trị (F0, F1, F2)"] == ("1", "/quarantine")
    assert figures["Tờ khai cần theo dõi (24 giờ) chưa xử lý"] == (
        "1",
        "/declarations/review?days=1&followed_up=no",
    )


def test_ward_official_sees_feedback_age_and_idle_venues(
    client: TestClient, make_staff: Any, db: Database, places: Any
) -> None:
    _activity(db, HOME_WARD, idle_venues=2)
    _activity(db, OTHER_WARD, idle_venues=5)
    official = make_staff("ward_official", HOME_WARD)
    html = client.get("/staff", headers=official).text
    figures = _figures(html)
    assert figures["Phản ánh chờ trả lời"] == ("1", "/feedback/inbox?status=open")
    assert "cũ nhất đã chờ 3 ngày" in html
    assert figures["Lượt quét mã hôm nay"] == ("1", "/checkins/counts")
    assert figures["Địa điểm 7 ngày không có lượt quét"] == ("2", "/checkins/counts")


def test_every_figure_links_to_a_page_the_caller_may_open(
    client: TestClient, make_staff: Any, db: Database, places: Any
) -> None:
    _activity(db, HOME_WARD, idle_venues=1)
    for role, area in [
        ("health_officer", "79"),
        ("ward_official", HOME_WARD),
        ("dic_officer", "79"),
        ("system_admin", None),
    ]:
        headers = make_staff(role, area)
        for _label, (_count, href) in _figures(client.get("/staff", headers=headers).text).items():
            assert client.get(href, headers=headers).status_code == 200, (role, href)
