"""Vietnamese mobile numbers: every spelling of one number normalises to one canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace.accounts import phone
from epitrace.errors import InvalidInput

PREFIXES = ["32", "33", "39", "52", "56", "70", "76", "79", "81", "89", "90", "91", "98"]


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "+84912345678", "84912345678", "0912 345 678", "091-234-5678", "(091) 234.5678"],
)
def test_spellings_of_one_number(raw: str) -> None:
    assert phone.normalise(raw) == "+84912345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "0212345678",
        "091234567",
        "09123456789",
        "+1 650 555 0100",
        "0912abc678",
        "0112345678",
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        phone.normalise(raw)
    assert exc.value.code == "invalid_phone"
    assert "phone" in exc.value.fields


@given(
    prefix=st.sampled_from(PREFIXES),
    rest=st.text("0123456789", min_size=7, max_size=7),
    style=st.sampled_from(["0{}", "+84{}", "84{}", "0{} "]),
)
def test_normalise_is_idempotent_and_display_round_trips(
    prefix: str, rest: str, style: str
) -> None:
    canonical = phone.normalise(style.format(prefix + rest))
    assert canonical == "+84" + prefix + rest
    assert phone.normalise(canonical) == canonical
    assert phone.normalise(phone.display(canonical)) == canonical
    assert phone.mask(canonical).endswith(rest[-3:])
    assert prefix + rest[:4] not in phone.mask(canonical)
