"""XLSX export of flagged declarations for field teams, with Vietnamese headers."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from epitrace.accounts import phone as phone_numbers
from epitrace.declarations.service import EXPOSURES, SYMPTOMS, FlaggedRow
from epitrace.web import i18n
from epitrace.web.templating import local_time

HEADERS = (
    "STT",
    "Thời điểm khai báo",
    "Họ và tên",
    "Năm sinh",
    "Số điện thoại",
    "Phường/xã",
    "Địa chỉ",
    "Triệu chứng",
    "Tiếp xúc / dịch tễ",
    "Đã theo dõi lúc",
    "Người theo dõi",
)
WIDTHS = (6, 18, 28, 10, 16, 24, 32, 40, 48, 18, 24)


def _vi(msgid: str) -> str:
    return i18n.translations("vi").ugettext(msgid)


def flagged_workbook(rows: Sequence[FlaggedRow]) -> bytes:
    """The list officials hand to field teams, one row per declaration."""
    book = Workbook()
    sheet = book.active if book.active is not None else book.create_sheet()
    sheet.title = "Khai báo cần theo dõi"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, row in enumerate(rows, start=1):
        d = row.declaration
        symptoms = [_vi(SYMPTOMS[s]) for s in d.symptoms if s in SYMPTOMS]
        if d.other_symptom:
            symptoms.append(d.other_symptom)
        sheet.append(
            (
                i,
                local_time(d.submitted_at),
                d.full_name,
                d.birth_year,
                phone_numbers.display(d.phone),
                row.ward_name,
                d.street,
                "; ".join(symptoms),
                "; ".join(_vi(EXPOSURES[e]) for e in d.exposures if e in EXPOSURES),
                local_time(row.follow_up.created_at) if row.follow_up else "",
                row.follow_up.by_label if row.follow_up else "",
            )
        )
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
