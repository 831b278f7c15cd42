"""Declaration rules in the service: validation, history, officials' lists, reminders hook."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.declarations import service as declaration_service
from epitrace.declarations.passes import Colour
from epitrace.declarations.schemas import DeclarationIn
from epitrace.errors import InvalidInput
from tests.declarations.factories import CCCD_1990, declare, payload, today_minus

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def errors_of(session: Session, **overrides: Any) -> dict[str, str]:
    data = DeclarationIn.model_validate(payload(**overrides))
    with pytest.raises(InvalidInput) as info:
        declaration_service.validate(session, data, today=today_minus(NOW, 0))
    return info.value.fields


def test_valid_declaration_passes(session: Session, places: Any) -> None:
    data = DeclarationIn.model_validate(payload(phone="0912 345 678"))
    clean = declaration_service.validate(session, data, today=today_minus(NOW, 0))
    assert clean["phone"] == "+84912345678"
    assert clean["id_number"] == CCCD_1990


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": "  "}, "full_name", "Enter the full name."),
        ({"id_number": "07909012345"}, "id_number", "exactly 12 digits"),
        ({"id_number": "003090123456"}, "id_number", "province code"),
        ({"id_number": "097090123456"}, "id_number", "province code"),
        ({"birth_year": 1991}, "birth_year", "does not match"),
        ({"birth_year": 1850}, "birth_year", "between 1900"),
        ({"id_kind": "passport", "id_number": "B12"}, "id_number", "passport"),
        ({"gender": "x"}, "gender", "gender"),
        ({"nationality": ""}, "nationality", "nationality"),
        ({"ward_code": "79"}, "ward_code", "not a province"),
        ({"ward_code": "nowhere"}, "ward_code", "province and the ward"),
        ({"street": ""}, "street", "street"),
        ({"phone": "12345"}, "phone", "mobile number"),
        ({"email": "not-an-email"}, "email", "email"),
        ({"symptoms": ["sneezing"]}, "symptoms", "allowed values"),
        ({"symptoms": ["other"]}, "other_symptom", "other symptom"),
        ({"exposures": ["aliens"]}, "exposures", "allowed values"),
        ({"consent": False}, "consent", "agree"),
        ({"test_kind": "pcr"}, "test_date", "date of the test"),
        ({"test_kind": "pcr", "test_date": "2026-11-20"}, "test_result", "result"),
        ({"test_result": "negative"}, "test_kind", "kind of test"),
    ],
)
def test_each_rule_names_its_field(
    session: Session, places: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    errors = errors_of(session, **overrides)
    assert field in errors
    assert message.lower() in errors[field].lower()


def test_dates_in_the_future_are_refused_everywhere(session: Session, places: Any) -> None:
    tomorrow = today_minus(NOW, -1).isoformat()
    errors = errors_of(
        session,
        travel=[{"place": "Đà Nẵng", "date": tomorrow}],
        dose_dates=[tomorrow],
        test_kind="pcr",
        test_date=tomorrow,
        test_result="negative",
    )
    for field in ("travel.0.date", "dose_dates.0", "test_date"):
        assert errors[field] == "The date cannot be in the future."


def test_doses_must_be_in_order(session: Session, places: Any) -> None:
    errors = errors_of(session, dose_dates=["2021-09-01", "2021-08-01", "2021-10-01"])
    assert errors == {"dose_dates.1": "Each dose must come after the previous one."}
    errors = errors_of(session, dose_dates=["2019-01-01"])
    assert errors == {"dose_dates.0": "This date is before vaccination began."}


def test_travel_only_asks_for_14_days(session: Session, places: Any) -> None:
    errors = errors_of(
        session,
        travel=[
            {"place": "", "date": None},  # an empty row is ignored
            {"place": "Hà Nội", "date": today_minus(NOW, 15).isoformat()},
            {"place": "", "date": today_minus(NOW, 1).isoformat()},
        ],
    )
    assert set(errors) == {"travel.1.date", "travel.2.place"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_cccd_numbers(number: str) -> None:
    cleaned, problem = declaration_service.check_id_number("cccd", number)
    assert cleaned == number
    valid_province = number[:3] in declaration_service.CCCD_PROVINCES
    # century codes 0–3 are the 1900s and 2000s; later ones belong to people not yet born
    assert (problem is None) == (valid_province and number[3] in "0123")
    if problem is None:
        assert 1900 <= declaration_service.cccd_birth_year(number) <= 2099


def test_new_declaration_supersedes_and_history_is_kept(session: Session, places: Any) -> None:
    first = declare(session, now=NOW - timedelta(days=2))
    second = declare(session, person_id=first.person_id, now=NOW, symptoms=["fever", "cough"])
    assert declaration_service.get_latest(session, person_id=first.person_id) == second
    history = declaration_service.get_history(session, person_id=first.person_id)
    assert [d.id for d in history] == [second.id, first.id]
    assert second.has_symptoms and not first.has_symptoms
    current = declaration_service.get_status(
        session, person_id=first.person_id, policy="declaration_based", now=NOW
    )
    assert (current.colour, current.code) == (Colour.YELLOW, "symptoms")


def test_declaring_for_someone_else_creates_their_person(session: Session, places: Any) -> None:
    me = account_service.create_person(session, full_name="Lê Văn Cường")
    declaration = declaration_service.create(
        session,
        account_id=None,
        account_person_id=me.id,
        data=DeclarationIn.model_validate(payload(subject="other", full_name="Phạm Thị Dung")),
        now=NOW,
    )
    other = account_service.get_person(session, person_id=declaration.person_id)
    assert other.id != me.id
    assert (other.full_name, other.id_number, other.birth_year) == (
        "Phạm Thị Dung",
        CCCD_1990,
        1990,
    )


def test_dependent_must_be_ones_own(session: Session, places: Any) -> None:
    me = account_service.create_person(session, full_name="Lê Văn Cường")
    stranger = account_service.create_person(session, full_name="Người Lạ")
    for person_id in (None, me.id):
        with pytest.raises(InvalidInput):
            declaration_service.create(
                session,
                account_id=None,
                account_person_id=me.id,
                data=DeclarationIn.model_validate(
                    payload(subject="dependent", person_id=person_id)
                ),
                now=NOW,
            )
    with pytest.raises(Exception, match="dependent"):
        declaration_service.create(
            session,
            account_id=None,
            account_person_id=me.id,
            data=DeclarationIn.model_validate(payload(subject="dependent", person_id=stranger.id)),
            now=NOW,
        )


def test_expired_declarations_for_reminders(session: Session, places: Any) -> None:
    fresh = declare(session, now=NOW - timedelta(days=1))
    stale = declare(session, now=NOW - timedelta(days=9))
    renewed = declare(session, now=NOW - timedelta(days=20))
    declare(session, person_id=renewed.person_id, now=NOW - timedelta(hours=2))
    guardian = account_service.create_person(session, full_name="Người Giám Hộ")
    child = account_service.add_dependent(
        session, guardian_id=guardian.id, full_name="Bé Na", birth_year=2018, relationship="con"
    )
    declare(session, person_id=guardian.id, now=NOW - timedelta(days=1))
    old_child = declaration_service.create(
        session,
        account_id=None,
        account_person_id=guardian.id,
        data=DeclarationIn.model_validate(payload(subject="dependent", person_id=child.id)),
        now=NOW - timedelta(days=8),
    )
    expired = declaration_service.get_expired(session, now=NOW)
    assert [(e.person_id, e.guardian_id) for e in expired] == [
        (stale.person_id, None),
        (old_child.person_id, guardian.id),
    ]
    assert expired[0].last_declared_at == NOW - timedelta(days=9)
    assert fresh.person_id not in {e.person_id for e in expired}
    assert len(declaration_service.get_expired(session, now=NOW, limit=1)) == 1


def test_flagged_filters_and_counts(session: Session, places: Any) -> None:
    symptoms = declare(session, now=NOW - timedelta(hours=3), symptoms=["fever"])
    exposure = declare(session, now=NOW - timedelta(days=1), exposures=["case"], ward_code="26734")
    declare(session, now=NOW - timedelta(hours=1))  # no risk: never flagged
    declare(session, now=NOW - timedelta(days=10), symptoms=["cough"])  # too old
    declare(session, now=NOW, symptoms=["fever"], ward_code="00070")  # another province
    area = "79."
    since = NOW - timedelta(days=7)

    def ids(**kwargs: Any) -> list[Any]:
        rows = declaration_service.get_flagged(session, area_path=area, since=since, **kwargs)
        return [r.declaration.id for r in rows]

    assert ids() == [symptoms.id, exposure.id]
    assert ids(kind="symptoms") == [symptoms.id]
    assert ids(kind="exposure") == [exposure.id]
    assert ids(ward_code="26734") == [exposure.id]
    assert len(declaration_service.get_flagged(session, area_path=None, since=since)) == 3

    class Official:
        user_id = None
        display_name = "Cán bộ y tế"

    declaration_service.mark_followed_up(
        session,
        actor=Official(),
        declaration=symptoms,
        note="Đã gọi điện",  # type: ignore[arg-type]
    )
    assert ids(followed_up=True) == [symptoms.id]
    assert ids(followed_up=False) == [exposure.id]
    rows = declaration_service.get_flagged(session, area_path=area, since=since)
    assert rows[0].follow_up is not None and rows[0].follow_up.note == "Đã gọi điện"

    counts = declaration_service.count_per_ward_day(session, area_path=area, since=since)
    by_key = {(c.ward_code, c.day.isoformat()): c for c in counts}
    today = today_minus(NOW, 0).isoformat()
    yesterday = today_minus(NOW, 1).isoformat()
    assert by_key[("26743", today)].declarations == 2
    assert by_key[("26743", today)].with_symptoms == 1
    assert by_key[("26734", yesterday)].with_exposure == 1
    assert {c.ward_code for c in counts} == {"26743", "26734"}


def test_local_day_boundary_in_counts(session: Session, places: Any) -> None:
    # 17:30 UTC is 00:30 the next day in Vietnam
    late = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    declare(session, now=late, symptoms=["fever"])
    counts = declaration_service.count_per_ward_day(
        session, area_path="79.", since=late - timedelta(days=1)
    )
    assert [c.day.isoformat() for c in counts] == ["2026-11-25"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offsets=st.lists(st.integers(min_value=0, max_value=900), max_size=5))
def test_dose_dates_are_accepted_only_in_strict_order(
    session: Session, places: Any, offsets: list[int]
) -> None:
    dates = [today_minus(NOW, d).isoformat() for d in offsets]
    data = DeclarationIn.model_validate(payload(dose_dates=dates))
    in_order = all(a > b for a, b in itertools.pairwise(offsets))
    try:
        declaration_service.validate(session, data, today=today_minus(NOW, 0))
    except InvalidInput as exc:
        assert not in_order
        assert all(k.startswith("dose_dates.") for k in exc.fields)
    else:
        assert in_order
