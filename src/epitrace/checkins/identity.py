"""Identity numbers of visitors entered by hand: the 12-digit citizen identity card (CCCD).

Pure code. The first three digits are the province of birth registration (codes of the 63
provinces before the 2025 merger, as printed on cards); the fourth encodes century and sex;
the fifth and sixth the year of birth; the last six are a serial number.
"""

from __future__ import annotations

import re

from epitrace.errors import N_, InvalidInput

PROVINCE_CODES = frozenset(
    {
        "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019",
        "020", "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036",
        "037", "038", "040", "042", "044", "045", "046", "048", "049", "051", "052", "054",
        "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
        "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
        "094", "095", "096",
    }
)  # fmt: skip
_DIGITS = re.compile(r"^[0-9]{12}$")


def normalise_cccd(raw: str) -> str:
    """Strip spaces and dots; raise InvalidInput unless it is a plausible 12-digit CCCD."""
    value = re.sub(r"[\s.\-]", "", raw or "")
    if not _DIGITS.match(value):
        raise InvalidInput(
            N_("The ID number must have exactly 12 digits."),
            fields={"id_number": N_("Enter the 12 digits of the citizen identity card.")},
            code="invalid_id_number",
        )
    if value[:3] not in PROVINCE_CODES:
        raise InvalidInput(
            N_("The ID number does not start with a province code (001–096)."),
            fields={"id_number": N_("The first three digits must be a province code.")},
            code="invalid_id_number",
        )
    return value
