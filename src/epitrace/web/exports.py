"""The one writer of spreadsheet exports (XLSX and CSV) that officials download.

Every export goes through here so that every one of them is safe to open: text that a
spreadsheet program would read as a formula (a cell starting with `= + - @`, a tab or a
carriage return, OWASP "CSV injection") is kept as text — in XLSX as a string cell with
Excel's quote prefix (shown unchanged, never evaluated, not even after editing), in CSV with a
leading apostrophe. Headers are bold Vietnamese, columns sized to their content, the first
row frozen; CSV starts with a byte-order mark so that Excel reads the Vietnamese as UTF-8.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from epitrace import localtime
from epitrace.web.openapi import file_responses
from epitrace.web.templating import local_time

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# `responses=` of an export route, for the OpenAPI document
RESPONSES = file_responses(XLSX_MEDIA_TYPE, "text/csv", description="The spreadsheet.")
MEDIA_TYPES = {"xlsx": XLSX_MEDIA_TYPE, "csv": CSV_MEDIA_TYPE}
Format = Literal["xlsx", "csv"]

# What a spreadsheet program may take for the start of a formula (OWASP), with the full-width
# forms that some locales' input methods produce and some programs also accept.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
MIN_WIDTH = 6
MAX_WIDTH = 60


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet program could read this text as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def neutralise(text: str) -> str:
    """The text as CSV must carry it: an apostrophe before anything formula-like."""
    return "'" + text if is_formula_like(text) else text


def _plain(value: Any) -> Any:
    """A Python value as it goes into a cell: local dates and times, no None, text cleaned."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int) and abs(value) >= 10**15:
        return str(value)  # spreadsheets keep 15 significant digits: a long number stays exact
    if isinstance(value, int | float):
        return value
    # control characters are not allowed in XLSX and mean nothing in a list; line breaks are
    # kept as one kind (XML reads a carriage return back as a line feed anyway)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text)


@dataclass(frozen=True)
class Sheet:
    """One table: a title (the XLSX tab), Vietnamese headers and rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] | None = None  # characters; measured from the content when None


def _cells(sheet: Sheet) -> list[list[Any]]:
    return [[_plain(v) for v in row] for row in sheet.rows]


def _width(sheet: Sheet, cells: list[list[Any]], index: int) -> int:
    if sheet.widths is not None and index < len(sheet.widths):
        return sheet.widths[index]
    longest = max([len(str(sheet.headers[index])), *(len(str(row[index])) for row in cells)])
    return max(MIN_WIDTH, min(longest + 2, MAX_WIDTH))


def to_xlsx(*sheets: Sheet) -> bytes:
    """A workbook with one tab per sheet; formula-like text stays text."""
    book = Workbook()
    default = book.active
    for sheet in sheets:
        cells = _cells(sheet)
        tab = book.create_sheet(_tab_title(sheet.title))
        tab.append([_plain(h) for h in sheet.headers])
        for cell in tab[1]:
            cell.font = Font(bold=True)
        for row in cells:
            tab.append(row)
        for column in tab.iter_cols(min_row=1):
            for cell in column:
                if isinstance(cell.value, str) and is_formula_like(cell.value):
                    # openpyxl would store "=…" as a formula; keep it a string, quoted
                    cell.data_type = "s"
                    cell.quotePrefix = True
        for index in range(len(sheet.headers)):
            tab.column_dimensions[get_column_letter(index + 1)].width = _width(sheet, cells, index)
        tab.freeze_panes = "A2"
    if default is not None and sheets:
        book.remove(default)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _tab_title(title: str) -> str:
    # Excel's limits: 31 characters, none of []:*?/\
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'") or "Sheet"
    return cleaned[:31]


def to_csv(sheet: Sheet) -> bytes:
    """One sheet as UTF-8 CSV with a byte-order mark; formula-like text gets an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(str(_plain(h))) for h in sheet.headers])
    for row in _cells(sheet):
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def slug(text: str) -> str:
    """ASCII for a file name: Vietnamese letters without marks, lower case, words joined by -."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def filename(*parts: str | None, ext: Format, day: date | None = None) -> str:
    """`cach-ly-26743-2026-11-29.xlsx`: the parts slugged, then the day (local today by default)."""
    stamp = day or localtime.today()
    words = [slug(p) for p in parts if p]
    name = "-".join(w for w in [*words, stamp.isoformat()] if w)
    return f"{name[:120]}.{ext}"


def disposition(name: str, *, inline: bool = False) -> str:
    """A Content-Disposition value (RFC 6266) with an ASCII fallback and the UTF-8 name."""
    stem, _, ext = name.rpartition(".")
    fallback = f"{slug(stem) or 'export'}.{ext}"  # plain ASCII for old browsers
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''" + quote(name)


def attachment(content: bytes, *, name: str) -> Response:
    """A download with the right media type and a file name every browser understands."""
    return Response(
        content,
        media_type=MEDIA_TYPES[name.rpartition(".")[2]],
        headers={"Content-Disposition": disposition(name), "Cache-Control": "no-store"},
    )


def respond(
    fmt: Format,
    sheets: Sequence[Sheet],
    *,
    name_parts: Sequence[str | None],
    day: date | None = None,
    csv_sheet: int = 0,
) -> Response:
    """The export as a download: every sheet in XLSX, one of them (the first) in CSV.

    The file is named from `name_parts` and `day` (the day the data is about; today by default).
    """
    content = to_xlsx(*sheets) if fmt == "xlsx" else to_csv(sheets[csv_sheet])
    return attachment(content, name=filename(*name_parts, ext=fmt, day=day))
