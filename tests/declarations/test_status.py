"""Every rule of the status colour, under both presets (pure code, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace.declarations.passes import Colour
from epitrace.declarations.status import (
    DECLARATION_VALID_FOR,
    REASONS,
    CaseFacts,
    DeclarationFacts,
    Facts,
    Policy,
    evaluate,
    local_date,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = local_date(NOW)


def fresh(**kwargs: object) -> DeclarationFacts:
    return DeclarationFacts(submitted_at=NOW - timedelta(hours=1), **kwargs)  # type: ignore[arg-type]


def decl(facts: Facts) -> tuple[Colour, str]:
    result = evaluate(Policy.DECLARATION_BASED, facts, now=NOW)
    return result.colour, result.code


def vacc(facts: Facts) -> tuple[Colour, str]:
    result = evaluate("vaccination_based", facts, now=NOW)
    return result.colour, result.code


def doses(*days_ago: int) -> tuple[date, ...]:
    return tuple(TODAY - timedelta(days=d) for d in days_ago)


# -- declaration-based --------------------------------------------------------------------


def test_recent_declaration_without_risk_is_green() -> None:
    assert decl(Facts(fresh())) == (Colour.GREEN, "declared_no_risk")


def test_no_declaration_is_yellow() -> None:
    assert decl(Facts(None)) == (Colour.YELLOW, "no_declaration")


def test_expired_declaration_is_yellow_and_says_how_old() -> None:
    old = DeclarationFacts(submitted_at=NOW - DECLARATION_VALID_FOR - timedelta(seconds=1))
    result = evaluate(Policy.DECLARATION_BASED, Facts(old), now=NOW)
    assert (result.colour, result.code, result.params) == (Colour.YELLOW, "expired", {"days": 7})


def test_declaration_exactly_at_the_limit_is_still_valid() -> None:
    edge = DeclarationFacts(submitted_at=NOW - DECLARATION_VALID_FOR)
    assert decl(Facts(edge)) == (Colour.GREEN, "declared_no_risk")


def test_symptoms_make_yellow() -> None:
    assert decl(Facts(fresh(has_symptoms=True))) == (Colour.YELLOW, "symptoms")


def test_exposure_makes_yellow() -> None:
    assert decl(Facts(fresh(has_exposure=True))) == (Colour.YELLOW, "exposure")


def test_declared_positive_test_makes_yellow() -> None:
    facts = Facts(fresh(test_kind="rapid", test_date=TODAY, test_result="positive"))
    assert decl(facts) == (Colour.YELLOW, "positive_test")


@pytest.mark.parametrize(("level", "code"), [(1, "contact_f1"), (2, "contact_f2")])
def test_contacts_are_yellow_even_with_a_clean_declaration(level: int, code: str) -> None:
    assert decl(Facts(fresh(), CaseFacts(contact_level=level))) == (Colour.YELLOW, code)


def test_active_case_is_red() -> None:
    assert decl(Facts(fresh(), CaseFacts(is_case=True))) == (Colour.RED, "confirmed_case")


def test_case_that_recovered_is_no_longer_red() -> None:
    case = CaseFacts(is_case=True, recovered_at=NOW - timedelta(days=1))
    assert decl(Facts(fresh(), case)) == (Colour.GREEN, "declared_no_risk")


def test_quarantine_is_red_over_anything_but_a_case() -> None:
    assert decl(Facts(fresh(), CaseFacts(in_quarantine=True, contact_level=1))) == (
        Colour.RED,
        "quarantine",
    )
    assert decl(Facts(None, CaseFacts(is_case=True, in_quarantine=True)))[1] == "confirmed_case"


# -- vaccination-based --------------------------------------------------------------------


def test_full_course_14_days_ago_is_green() -> None:
    assert vacc(Facts(fresh(dose_dates=doses(60, 14)))) == (Colour.GREEN, "fully_vaccinated")


def test_second_dose_13_days_ago_counts_as_one_dose() -> None:
    assert vacc(Facts(fresh(dose_dates=doses(60, 13)))) == (Colour.YELLOW, "one_dose")


def test_recovered_less_than_180_days_is_green() -> None:
    case = CaseFacts(is_case=True, recovered_at=NOW - timedelta(days=179))
    assert vacc(Facts(None, case)) == (Colour.GREEN, "recovered")


def test_recovered_180_days_ago_or_more_is_not_protected() -> None:
    case = CaseFacts(is_case=True, recovered_at=NOW - timedelta(days=180))
    assert vacc(Facts(None, case)) == (Colour.RED, "not_protected")


def test_one_dose_at_least_14_days_is_yellow() -> None:
    assert vacc(Facts(fresh(dose_dates=doses(14)))) == (Colour.YELLOW, "one_dose")


def test_negative_pcr_within_72_hours_is_yellow() -> None:
    facts = Facts(fresh(test_kind="pcr", test_date=TODAY, test_result="negative"))
    assert vacc(facts) == (Colour.YELLOW, "negative_pcr")


def test_negative_pcr_counts_from_the_start_of_its_day() -> None:
    # the test day began (Vietnam time) more than 72 hours before NOW
    facts = Facts(
        fresh(test_kind="pcr", test_date=TODAY - timedelta(days=3), test_result="negative")
    )
    assert vacc(facts) == (Colour.RED, "not_protected")


@pytest.mark.parametrize(("kind", "result"), [("rapid", "negative"), ("pcr", "positive")])
def test_rapid_or_positive_tests_do_not_count(kind: str, result: str) -> None:
    facts = Facts(fresh(test_kind=kind, test_date=TODAY, test_result=result))
    assert vacc(facts) == (Colour.RED, "not_protected")


def test_nothing_is_red() -> None:
    assert vacc(Facts(None)) == (Colour.RED, "not_protected")
    assert vacc(Facts(fresh(dose_dates=doses(3)))) == (Colour.RED, "not_protected")


def test_vaccinated_case_or_quarantine_is_still_red() -> None:
    vaccinated = fresh(dose_dates=doses(90, 60))
    assert vacc(Facts(vaccinated, CaseFacts(is_case=True))) == (Colour.RED, "confirmed_case")
    assert vacc(Facts(vaccinated, CaseFacts(in_quarantine=True))) == (Colour.RED, "quarantine")


def test_vaccinated_contact_is_yellow_at_most() -> None:
    vaccinated = fresh(dose_dates=doses(90, 60))
    assert vacc(Facts(vaccinated, CaseFacts(contact_level=2))) == (Colour.YELLOW, "contact_f2")
    assert vacc(Facts(fresh(dose_dates=doses(20)), CaseFacts(contact_level=1))) == (
        Colour.YELLOW,
        "one_dose",
    )


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        evaluate("nonsense", Facts(None), now=NOW)


# -- properties ---------------------------------------------------------------------------

facts_strategy = st.builds(
    Facts,
    declaration=st.none()
    | st.builds(
        DeclarationFacts,
        submitted_at=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)).map(
            lambda age: NOW - age
        ),
        has_symptoms=st.booleans(),
        has_exposure=st.booleans(),
        dose_dates=st.lists(st.integers(0, 400), max_size=4).map(
            lambda ds: doses(*sorted(set(ds), reverse=True))
        ),
        test_kind=st.none() | st.sampled_from(["rapid", "pcr"]),
        test_date=st.none() | st.integers(0, 10).map(lambda d: TODAY - timedelta(days=d)),
        test_result=st.none() | st.sampled_from(["negative", "positive"]),
    ),
    case=st.builds(
        CaseFacts,
        is_case=st.booleans(),
        contact_level=st.none() | st.sampled_from([1, 2]),
        in_quarantine=st.booleans(),
        recovered_at=st.none() | st.integers(1, 400).map(lambda d: NOW - timedelta(days=d)),
    ),
)


@given(facts_strategy, st.sampled_from(list(Policy)))
def test_every_outcome_has_a_known_reason(facts: Facts, policy: Policy) -> None:
    result = evaluate(policy, facts, now=NOW)
    assert result.reason == REASONS[result.code]
    assert result.colour in Colour


@given(facts_strategy, st.sampled_from(list(Policy)))
def test_quarantine_and_active_cases_are_always_red(facts: Facts, policy: Policy) -> None:
    case = facts.case
    active = case.is_case and case.recovered_at is None
    result = evaluate(policy, facts, now=NOW)
    assert (result.colour is Colour.RED) >= (active or case.in_quarantine)


@given(facts_strategy)
def test_declaration_based_green_needs_a_clean_recent_declaration(facts: Facts) -> None:
    result = evaluate(Policy.DECLARATION_BASED, facts, now=NOW)
    if result.colour is Colour.GREEN:
        d = facts.declaration
        assert d is not None
        assert not (d.has_symptoms or d.has_exposure)
        assert NOW - d.submitted_at <= DECLARATION_VALID_FOR
        assert facts.case.contact_level is None and not facts.case.in_quarantine


@given(facts_strategy)
def test_contacts_are_never_green(facts: Facts) -> None:
    for policy in Policy:
        if facts.case.contact_level is not None:
            assert evaluate(policy, facts, now=NOW).colour is not Colour.GREEN
