"""Bounded request values: which dates and numbers the service accepts, said once.

Every API body, query parameter and form uses these types (or, for hand-parsed forms, the
`check_*` functions), so no handler or service ever sees year 0001 or 9999, a ten-digit
offset or a window of a million days: those are refused at the edge with a 422 that names the
field and the allowed range, in the user's language.

Ranges:
- medical and event dates (tests, symptom onset, isolation, quarantine, doses, travel, scans,
  the day of a list): 1 January 2019 — the first cases of COVID-19 — to the end of next year
  (local calendar);
- birth years: 1900 to this year;
- list offsets up to 100,000 and page sizes up to 1,000; windows of days up to a year;
  thresholds and counts up to a million.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from epitrace import localtime
from epitrace.errors import N_, InvalidInput

EARLIEST_MEDICAL_DATE = date(2019, 1, 1)
EARLIEST_BIRTH_YEAR = 1900
MAX_OFFSET = 100_000
MAX_LIMIT = 1_000
MAX_DAYS = 366
MAX_COUNT = 1_000_000
MIN_TEMPERATURE = 30.0  # °C; below this the reading is a mistake, not a patient
MAX_TEMPERATURE = 45.0

DATE_RANGE_MESSAGE = N_("Enter a date between %(earliest)s and %(latest)s.")
YEAR_RANGE_MESSAGE = N_("Enter a year between %(earliest)s and %(latest)s.")
OUT_OF_RANGE = N_("This value is outside the accepted range.")  # beside a field
# pydantic's own (English) wording of the same errors; the 422 handler shows the msgids above
_DATE_TEMPLATE = "Enter a date between {earliest} and {latest}."
_YEAR_TEMPLATE = "Enter a year between {earliest} and {latest}."


def local_today() -> date:
    return localtime.today()


def latest_medical_date(today: date | None = None) -> date:
    """The last day a medical or event date may name: 31 December of next year."""
    return date((today or local_today()).year + 1, 12, 31)


def latest_birth_year(today: date | None = None) -> int:
    return (today or local_today()).year


def _display(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def date_range_problem(value: date, today: date | None = None) -> dict[str, str] | None:
    """The range parameters when `value` lies outside the medical range, else None."""
    latest = latest_medical_date(today)
    if EARLIEST_MEDICAL_DATE <= value <= latest:
        return None
    return {"earliest": _display(EARLIEST_MEDICAL_DATE), "latest": _display(latest)}


def earliest_medical_datetime() -> datetime:
    return localtime.at_local(EARLIEST_MEDICAL_DATE, time.min)


def latest_medical_datetime(today: date | None = None) -> datetime:
    return localtime.at_local(latest_medical_date(today), time.max)


def datetime_in_range(value: datetime, today: date | None = None) -> bool:
    return earliest_medical_datetime() <= value <= latest_medical_datetime(today)


def check_medical_date(value: date) -> date:
    """Raise the 422 error of an out-of-range medical or event date."""
    problem = date_range_problem(value)
    if problem is not None:
        raise PydanticCustomError("date_out_of_range", _DATE_TEMPLATE, problem)
    return value


def medical_range_params() -> dict[str, str]:
    """The range for messages: {"earliest": "01/01/2019", "latest": "31/12/<next year>"}."""
    return {
        "earliest": _display(EARLIEST_MEDICAL_DATE),
        "latest": _display(latest_medical_date()),
    }


def check_medical_datetime(value: datetime) -> datetime:
    if value.tzinfo is not None and not datetime_in_range(value):
        raise PydanticCustomError("date_out_of_range", _DATE_TEMPLATE, medical_range_params())
    return value


def birth_year_problem(value: int) -> dict[str, str] | None:
    latest = latest_birth_year()
    if EARLIEST_BIRTH_YEAR <= value <= latest:
        return None
    return {"earliest": str(EARLIEST_BIRTH_YEAR), "latest": str(latest)}


def check_birth_year(value: int) -> int:
    problem = birth_year_problem(value)
    if problem is not None:
        raise PydanticCustomError("year_out_of_range", _YEAR_TEMPLATE, problem)
    return value


def parse_form_date(raw: str) -> tuple[date | None, str | None, dict[str, Any]]:
    """A date typed in a form: (the date, or None; an error msgid or None; its parameters)."""
    text = raw.strip()
    if not text:
        return None, None, {}
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None, N_("Enter a valid date."), {}
    problem = date_range_problem(value)
    if problem is not None:
        return None, DATE_RANGE_MESSAGE, problem
    return value, None, {}


def parse_form_int(
    raw: str, *, minimum: int, maximum: int
) -> tuple[int | None, str | None, dict[str, Any]]:
    """A whole number typed in a form (ASCII digits only), within [minimum, maximum]."""
    text = raw.strip()
    if not text:
        return None, None, {}
    if not (text.isascii() and text.isdigit()):
        return None, N_("Enter a whole number."), {}
    value = int(text)
    if not minimum <= value <= maximum:
        return None, N_("Enter a number from %(min)s to %(max)s."), {"min": minimum, "max": maximum}
    return value, None, {}


def parse_form_birth_year(raw: str) -> tuple[int | None, str | None, dict[str, Any]]:
    """A birth year typed in a form, the same way."""
    value, problem, params = parse_form_int(raw, minimum=0, maximum=9999)
    if value is None:
        return None, problem, params
    year_problem = birth_year_problem(value)
    if year_problem is not None:
        return None, YEAR_RANGE_MESSAGE, year_problem
    return value, None, {}


def parse_form_datetime(value: str, field: str, *, required: bool = False) -> datetime | None:
    """A `datetime-local` form value, read as Vietnam time, to UTC."""
    if not value.strip():
        if required:
            raise InvalidInput(
                N_("Enter a date and time."), fields={field: N_("Enter a date and time.")}
            )
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            N_("Enter a date and time."), fields={field: N_("Enter a date and time.")}
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=localtime.zone())
    if not datetime_in_range(local):
        raise InvalidInput(
            DATE_RANGE_MESSAGE,
            params=medical_range_params(),
            fields={field: OUT_OF_RANGE},
        )
    return local


def required_form_datetime(value: str, field: str) -> datetime:
    """A `datetime-local` form value that must be there (Vietnam time, to UTC)."""
    parsed = parse_form_datetime(value, field, required=True)
    if parsed is None:  # parse_form_datetime refuses an empty required value
        raise InvalidInput(
            N_("Enter a date and time."), fields={field: N_("Enter a date and time.")}
        )
    return parsed


def form_error(field: str, problem: str, params: dict[str, Any]) -> InvalidInput:
    """The error of a hand-parsed form field (the range goes in the message, not the field)."""
    return InvalidInput(problem, params=params, fields={field: OUT_OF_RANGE if params else problem})


_DATE_DOC = "Between 2019-01-01 and 31 December of next year."

MedicalDate = Annotated[
    date, AfterValidator(check_medical_date), Field(description=_DATE_DOC, examples=["2026-11-20"])
]
"""A medical or event day (test, onset, dose, travel, the day of a list)."""

MedicalDateTime = Annotated[
    AwareDatetime,
    AfterValidator(check_medical_datetime),
    Field(description=_DATE_DOC + " With a time zone.", examples=["2026-11-20T08:30:00+07:00"]),
]
"""A medical or event time, with its time zone."""

BirthYear = Annotated[
    int,
    Field(ge=EARLIEST_BIRTH_YEAR, description="From 1900 to this year."),
    AfterValidator(check_birth_year),
]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Rows to return.")]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS, description="Days back from today.")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
MinPresences = Annotated[
    int, Field(ge=1, le=MAX_COUNT, description="Least number of case presences.")
]
Temperature = Annotated[
    float, Field(ge=MIN_TEMPERATURE, le=MAX_TEMPERATURE, description="Body temperature in °C.")
]

LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "A local time of day, HH:MM or HH:MM:SS, without a time zone.",
            "examples": ["08:00"],
        }
    ),
]
"""A time of day on the local clock (a reminder window), written without a zone.

JSON Schema's `time` format is RFC 3339's, which requires an offset; this one has none.
"""
