"""The status colour rules: facts about a person in, (colour, reason) out.

Pure code (no database), the one place the colour is decided. Two presets exist; the operator
chooses one with the `status_policy` setting. docs/declarations.md explains them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from epitrace import localtime
from epitrace.declarations.passes import Colour
from epitrace.errors import N_

# A declaration speaks for the 14 days before it and stays valid this long after it.
DECLARATION_VALID_DAYS = 7
DECLARATION_VALID_FOR = timedelta(days=DECLARATION_VALID_DAYS)
# Vaccination-based preset (national guidance of late 2021).
DOSE_EFFECTIVE_AFTER_DAYS = 14  # a dose counts from 14 days after it was given
FULL_COURSE_DOSES = 2
RECOVERY_VALID_FOR = timedelta(days=180)
NEGATIVE_PCR_VALID_FOR = timedelta(hours=72)


class Policy(enum.StrEnum):
    DECLARATION_BASED = "declaration_based"
    VACCINATION_BASED = "vaccination_based"


@dataclass(frozen=True)
class DeclarationFacts:
    """What the latest declaration says (vaccination and test facts are self-declared)."""

    submitted_at: datetime
    has_symptoms: bool = False
    has_exposure: bool = False
    dose_dates: tuple[date, ...] = ()
    test_kind: str | None = None  # "rapid" | "pcr"
    test_date: date | None = None
    test_result: str | None = None  # "negative" | "positive"


@dataclass(frozen=True)
class CaseFacts:
    """The cases domain's facts about a person (same fields as its `StatusFacts`)."""

    is_case: bool = False
    contact_level: int | None = None  # 1 = F1, 2 = F2
    in_quarantine: bool = False
    recovered_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    declaration: DeclarationFacts | None
    case: CaseFacts = field(default_factory=CaseFacts)


@dataclass(frozen=True)
class Status:
    colour: Colour
    code: str  # stable reason code
    reason: str  # msgid, translated when shown
    params: dict[str, Any] = field(default_factory=dict)


REASONS: dict[str, str] = {
    "confirmed_case": N_("Confirmed case (F0): stay isolated and follow the health station."),
    "quarantine": N_("Under a quarantine order."),
    "contact_f1": N_("Close contact of a confirmed case (F1)."),
    "contact_f2": N_("Contact of a close contact (F2)."),
    "no_declaration": N_("No health declaration yet: please declare."),
    "expired": N_("The last health declaration is more than %(days)s days old: declare again."),
    "symptoms": N_("Symptoms declared in the last 14 days."),
    "exposure": N_("Possible exposure declared in the last 14 days."),
    "positive_test": N_("A positive test was declared."),
    "declared_no_risk": N_("Recent health declaration without symptoms or exposure."),
    "fully_vaccinated": N_("Fully vaccinated, the last dose at least 14 days ago."),
    "recovered": N_("Recovered from COVID-19 less than 180 days ago."),
    "one_dose": N_("One vaccine dose at least 14 days ago."),
    "negative_pcr": N_("Negative PCR test less than 72 hours ago."),
    "not_protected": N_(
        "Not fully vaccinated, not recently recovered and no recent negative PCR test."
    ),
}


def _status(colour: Colour, code: str, **params: Any) -> Status:
    return Status(colour=colour, code=code, reason=REASONS[code], params=params)


def local_date(moment: datetime) -> date:
    return localtime.local_date(moment)


def _start_of_local_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=localtime.zone())


def is_active_case(case: CaseFacts, now: datetime) -> bool:
    return case.is_case and (case.recovered_at is None or case.recovered_at > now)


def _overriding(case: CaseFacts, now: datetime) -> Status | None:
    """Rules both presets share: a case or a quarantine order is red whatever else is true."""
    if is_active_case(case, now):
        return _status(Colour.RED, "confirmed_case")
    if case.in_quarantine:
        return _status(Colour.RED, "quarantine")
    return None


def _contact(case: CaseFacts) -> Status | None:
    if case.contact_level == 1:
        return _status(Colour.YELLOW, "contact_f1")
    if case.contact_level == 2:
        return _status(Colour.YELLOW, "contact_f2")
    return None


def declaration_expired(submitted_at: datetime, now: datetime) -> bool:
    return now - submitted_at > DECLARATION_VALID_FOR


def declaration_based(facts: Facts, now: datetime) -> Status:
    """Green: a valid recent declaration without risk; yellow: symptoms, exposure, F1/F2,
    a declared positive test, no or an expired declaration; red: case or quarantine."""
    decided = _overriding(facts.case, now) or _contact(facts.case)
    if decided is not None:
        return decided
    declaration = facts.declaration
    if declaration is None:
        return _status(Colour.YELLOW, "no_declaration")
    if declaration_expired(declaration.submitted_at, now):
        return _status(Colour.YELLOW, "expired", days=DECLARATION_VALID_DAYS)
    if declaration.has_symptoms:
        return _status(Colour.YELLOW, "symptoms")
    if declaration.has_exposure:
        return _status(Colour.YELLOW, "exposure")
    if declaration.test_result == "positive":
        return _status(Colour.YELLOW, "positive_test")
    return _status(Colour.GREEN, "declared_no_risk")


def _effective_doses(dose_dates: tuple[date, ...], today: date) -> list[date]:
    return [d for d in dose_dates if (today - d).days >= DOSE_EFFECTIVE_AFTER_DAYS]


def _negative_pcr_recent(declaration: DeclarationFacts, now: datetime) -> bool:
    if declaration.test_kind != "pcr" or declaration.test_result != "negative":
        return False
    if declaration.test_date is None:
        return False
    # Only the day is known: count from its start, so the window never runs long.
    return now - _start_of_local_day(declaration.test_date) < NEGATIVE_PCR_VALID_FOR


def vaccination_based(facts: Facts, now: datetime) -> Status:
    """Green: full course ≥ 14 days or recovered < 180 days; yellow: one dose ≥ 14 days or a
    negative PCR < 72 h; red: otherwise. A case or quarantine is red; F1/F2 at most yellow."""
    decided = _overriding(facts.case, now)
    if decided is not None:
        return decided
    declaration = facts.declaration
    today = local_date(now)
    doses = _effective_doses(declaration.dose_dates, today) if declaration else []
    recovered = facts.case.recovered_at
    if len(doses) >= FULL_COURSE_DOSES:
        result = _status(Colour.GREEN, "fully_vaccinated")
    elif recovered is not None and recovered <= now and now - recovered < RECOVERY_VALID_FOR:
        result = _status(Colour.GREEN, "recovered")
    elif len(doses) == 1:
        result = _status(Colour.YELLOW, "one_dose")
    elif declaration is not None and _negative_pcr_recent(declaration, now):
        result = _status(Colour.YELLOW, "negative_pcr")
    else:
        return _status(Colour.RED, "not_protected")
    if result.colour is Colour.GREEN:
        return _contact(facts.case) or result
    return result


RULES = {
    Policy.DECLARATION_BASED: declaration_based,
    Policy.VACCINATION_BASED: vaccination_based,
}


def evaluate(policy: Policy | str, facts: Facts, *, now: datetime) -> Status:
    """The colour and its reason under the chosen preset."""
    return RULES[Policy(policy)](facts, now)
