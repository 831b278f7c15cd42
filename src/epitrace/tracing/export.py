"""F1/F2 and quarantine lists as XLSX and CSV with Vietnamese headers, for field teams."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from epitrace.web.templating import local_time

CONTACT_HEADERS = (
    "Mức",
    "Họ và tên",
    "Số điện thoại",
    "Năm sinh",
    "Địa chỉ",
    "Phường/xã cư trú",
    "Địa điểm tiếp xúc",
    "Phường/xã nơi tiếp xúc",
    "Bắt đầu tiếp xúc",
    "Kết thúc tiếp xúc",
    "Số phút tiếp xúc",
    "Tiếp xúc với",
)

QUARANTINE_HEADERS = (
    "Họ và tên",
    "Số điện thoại",
    "Đối tượng",
    "Hình thức cách ly",
    "Nơi cách ly",
    "Phường/xã",
    "Bắt đầu",
    "Kết thúc",
    "Ngày xét nghiệm",
    "Đã báo cáo hôm nay",
)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else value


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.create_sheet(title[:31], 0)
    del book[book.sheetnames[1]]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for i, header in enumerate(headers, start=1):
        width = max([len(str(header)), *(len(str(_cell(r[i - 1]))) for r in rows)])
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, 50)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # The byte-order mark lets spreadsheet programs read the Vietnamese text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")
