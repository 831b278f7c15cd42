"""Identity numbers of people registered by officials: a 12-digit CCCD or a passport number.

Pure code. A CCCD is checked as at the door (`checkins.identity`); a passport number is 6 to
12 letters and digits with at least one letter (Vietnamese passports: one letter, 7 digits).
"""

from __future__ import annotations

import re

from epitrace.checkins.identity import normalise_cccd
from epitrace.errors import N_, InvalidInput

_PASSPORT = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{6,12}$")


def normalise_id_number(raw: str) -> str:
    """`"079 123 456 789"` → `"079123456789"`; `"c1234567"` → `"C1234567"`."""
    value = re.sub(r"[\s.\-]", "", raw or "").upper()
    if value.isdigit():
        return normalise_cccd(value)
    if not _PASSPORT.match(value):
        raise InvalidInput(
            N_("Enter the 12 digits of the citizen identity card or a passport number."),
            fields={
                "id_number": N_(
                    "Enter the 12 digits of the citizen identity card or a passport number."
                )
            },
            code="invalid_id_number",
        )
    return value
