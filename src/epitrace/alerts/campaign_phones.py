"""Reading a list of phone numbers a telco or an office sends (CSV, XLSX or plain text).

Every line is either accepted (normalised to +84…) or refused with its reason: text that is
no number, a number that is no Vietnamese mobile, or a number already on an earlier line.
The official sees the refusals before anything is stored. No database here; the file is
read by the rollout domain's spreadsheet reader (the one place that opens workbooks).
"""

from __future__ import annotations

import csv
import enum
import re
import unicodedata
from dataclasses import dataclass, field

from epitrace.accounts import phone as phone_numbers
from epitrace.errors import N_, InvalidInput
from epitrace.rollout import spreadsheets

MAX_LINES = 200_000
# header titles of the number column, folded (no marks, lower case)
_HEADERS = {"so dien thoai", "sdt", "dien thoai", "phone", "msisdn", "so thue bao", "mobile"}
_NUMBERISH = re.compile(r"^[\s+().\-\d]+$")


class Refusal(enum.StrEnum):
    INVALID = "invalid"  # digits, but not a Vietnamese mobile number
    DUPLICATE = "duplicate"  # the same number on an earlier line
    TEXT = "text"  # not a number at all


REFUSAL_LABELS = {
    Refusal.INVALID: N_("not a valid Vietnamese mobile number"),
    Refusal.DUPLICATE: N_("the same number is on an earlier line"),
    Refusal.TEXT: N_("text, not a phone number"),
}


@dataclass(frozen=True)
class Refused:
    line: int
    value: str
    reason: Refusal
    first_line: int | None = None  # for a duplicate: where the number was first


@dataclass
class PhoneList:
    accepted: list[str] = field(default_factory=list)  # canonical, in file order, once each
    refused: list[Refused] = field(default_factory=list)
    lines: int = 0  # non-empty lines read (a header line is not counted)


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join(plain.encode("ascii", "ignore").decode().lower().replace("_", " ").split())


def _refused_file(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": message}, code="file_rejected")


def read(filename: str, content: bytes) -> PhoneList:
    """Accepted numbers and the refusal report of an uploaded list.

    The number is the column titled like "Số điện thoại" when the first line is a header,
    else the first non-empty cell of each line. Line numbers are the file's.
    """
    if not content.strip():
        raise _refused_file(N_("The file is empty."))
    try:
        rows = spreadsheets.raw_rows(filename, content)
    except csv.Error:
        raise _refused_file(N_("The file is not a readable list.")) from None
    except spreadsheets.FileRejected as exc:
        problem = exc.problems[0]
        raise InvalidInput(
            problem.message,
            params=dict(problem.params),
            fields={"file": problem.message},
            code="file_rejected",
        ) from None
    column: int | None = None
    start = 0
    first = next((i for i, row in enumerate(rows) if any(row)), None)
    if first is not None:
        for index, title in enumerate(rows[first]):
            if _fold(title) in _HEADERS:
                column, start = index, first + 1
                break
    result = PhoneList()
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[start:], start=start + 1):
        if column is not None:
            value = cells[column] if column < len(cells) else ""
        else:
            value = next((c for c in cells if c), "")
        if not value:
            continue
        result.lines += 1
        if result.lines > MAX_LINES:
            raise _refused_file(N_("The list has more than 200,000 lines; split it."))
        if not _NUMBERISH.match(value):
            result.refused.append(Refused(number, value[:100], Refusal.TEXT))
            continue
        try:
            canonical = phone_numbers.normalise(value)
        except InvalidInput:
            result.refused.append(Refused(number, value[:100], Refusal.INVALID))
            continue
        if canonical in seen:
            result.refused.append(Refused(number, value[:100], Refusal.DUPLICATE, seen[canonical]))
            continue
        seen[canonical] = number
        result.accepted.append(canonical)
    if not result.lines:
        raise _refused_file(N_("The file is empty."))
    return result
