"""Vietnamese mobile numbers: one canonical form (+84XXXXXXXXX) for every way of writing one."""

from __future__ import annotations

import re

from epitrace.errors import N_, InvalidInput

# Mobile prefixes in use after the 2018 renumbering (03x, 05x, 07x, 08x, 09x).
_MOBILE = re.compile(r"^(3[2-9]|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}$")


def normalise(raw: str) -> str:
    """`0912345678`, `+84912345678`, `84912345678`, `0912 345 678` → `+84912345678`."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+84"):
        national = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not national.isdigit() or not _MOBILE.match(national):
        raise InvalidInput(
            N_("%(phone)s is not a valid Vietnamese mobile number (e.g. 0912345678)."),
            params={"phone": raw},
            fields={"phone": N_("Enter a Vietnamese mobile number, e.g. 0912345678.")},
            code="invalid_phone",
        )
    return "+84" + national


def display(canonical: str) -> str:
    """`+84912345678` → `0912 345 678`."""
    national = "0" + canonical.removeprefix("+84")
    return f"{national[:4]} {national[4:7]} {national[7:]}"


def mask(canonical: str) -> str:
    """Show only the last three digits, for lists of people."""
    national = "0" + canonical.removeprefix("+84")
    return national[:3] + "*" * (len(national) - 6) + national[-3:]
