"""Reading the lists officials upload (XLSX or CSV) into rows that remember their line number.

Headers are matched by meaning, with or without Vietnamese marks ("Số điện thoại", "so dien
thoai", "phone" are one column). Problems are collected per line so that a file is accepted
whole or refused whole with every reason, never loaded half-way.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import UploadFile
from openpyxl import load_workbook

from epitrace.errors import N_, InvalidInput
from epitrace.web import i18n

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def fold(text: str) -> str:
    """Lower case, Vietnamese marks removed, runs of other characters as one `_`."""
    text = str(text).replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


@dataclass(frozen=True)
class Problem:
    """One reason a line was refused: a message id with its parameters, translated when shown."""

    line: int  # 1 = the header line; 0 = the file as a whole
    message: str
    column: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return i18n.gettext(self.message, **self.params)


class FileRejected(InvalidInput):
    """An uploaded list with problems; nothing of it was written."""

    code = "file_rejected"

    def __init__(self, problems: Sequence[Problem]) -> None:
        lines = len({p.line for p in problems})
        super().__init__(
            N_("The file was not loaded: %(count)s lines have problems. Nothing was changed."),
            params={"count": lines},
        )
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))

    def details(self) -> dict[str, Any]:
        return {
            "lines": [
                {"line": p.line, "column": p.column, "message": p.text()} for p in self.problems
            ]
        }


@dataclass
class Row:
    line: int
    values: dict[str, str]


@dataclass
class Table:
    rows: list[Row]
    columns: list[str]  # the known columns found in the header


def _whole(message: str, **params: Any) -> FileRejected:
    return FileRejected([Problem(0, message, params=params)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _raw_rows(filename: str, content: bytes) -> list[list[str]]:
    name = filename.lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise _whole(N_("The file is not a readable XLSX workbook.")) from None
        try:
            sheet = book.worksheets[0]
            return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    if name.endswith((".xls", ".ods")):
        raise _whole(N_("Save the list as XLSX or CSV (UTF-8) and upload it again."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _whole(N_("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.")) from None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def raw_rows(filename: str, content: bytes) -> list[list[str]]:
    """Every line of the first sheet (or of the CSV / text), cells as text, no header logic;
    for lists other domains read their own way (a campaign's phone numbers)."""
    return _raw_rows(filename, content)


def read(
    filename: str,
    content: bytes,
    *,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
    max_rows: int,
) -> Table:
    """The rows of the first sheet (or the CSV), keyed by our column names.

    `columns` maps each of our names to the header spellings it accepts (folded); `required`
    columns must be in the header. Blank lines are skipped; line numbers are the file's.
    """
    if not content:
        raise _whole(N_("The file is empty."))
    if len(content) > MAX_UPLOAD_BYTES:
        raise _whole(
            N_("The file is larger than %(mb)s MB; split the list."),
            mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
    raw = _raw_rows(filename, content)
    header_index = next((i for i, row in enumerate(raw) if any(row)), None)
    if header_index is None:
        raise _whole(N_("The file is empty."))
    aliases = {
        fold(spelling): name for name, spellings in columns.items() for spelling in spellings
    }
    aliases.update({fold(name): name for name in columns})
    positions: dict[str, int] = {}
    for index, title in enumerate(raw[header_index]):
        key = aliases.get(fold(title))
        if key is not None and key not in positions:
            positions[key] = index
    missing = [name for name in required if name not in positions]
    if missing:
        raise FileRejected(
            [
                Problem(
                    header_index + 1,
                    N_("The header has no column %(column)s."),
                    column=name,
                    params={"column": columns[name][0]},
                )
                for name in missing
            ]
        )
    rows = []
    for offset, cells in enumerate(raw[header_index + 1 :], start=header_index + 2):
        if not any(cells):
            continue
        values = {
            name: (cells[index] if index < len(cells) else "") for name, index in positions.items()
        }
        rows.append(Row(offset, values))
    if not rows:
        raise _whole(N_("The file has a header but no rows."))
    if len(rows) > max_rows:
        raise _whole(N_("The file has more than %(n)s rows; split the list."), n=max_rows)
    return Table(rows=rows, columns=list(positions))


def match_choice(value: str, choices: Mapping[str, Sequence[str]]) -> str | None:
    """The key of `choices` whose code or label (any language, marks optional) is `value`."""
    wanted = fold(value)
    for key, labels in choices.items():
        if wanted == fold(key) or any(wanted == fold(label) for label in labels):
            return key
    return None


async def read_upload(file: UploadFile, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The uploaded file's bytes, refused (413) beyond the limit without reading it all."""
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise InvalidInput(
            N_("The file is larger than %(mb)s MB; split the list."),
            params={"mb": limit // (1024 * 1024)},
            fields={"file": N_("The file is too large.")},
        )
    return content
