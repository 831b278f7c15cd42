"""Flagged declarations for field teams: the sheet (Vietnamese headers) that the export
writer (`epitrace.web.exports`) turns into XLSX or CSV."""

from __future__ import annotations

from collections.abc import Sequence

from epitrace.accounts import phone as phone_numbers
from epitrace.declarations.service import EXPOSURES, SYMPTOMS, FlaggedRow
from epitrace.web import i18n
from epitrace.web.exports import Sheet

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


def flagged_sheet(rows: Sequence[FlaggedRow]) -> Sheet:
    """The list officials hand to field teams, one row per declaration."""
    table = []
    for i, row in enumerate(rows, start=1):
        d = row.declaration
        symptoms = [_vi(SYMPTOMS[s]) for s in d.symptoms if s in SYMPTOMS]
        if d.other_symptom:
            symptoms.append(d.other_symptom)
        table.append(
            (
                i,
                d.submitted_at,
                d.full_name,
                d.birth_year,
                phone_numbers.display(d.phone),
                row.ward_name,
                d.street,
                "; ".join(symptoms),
                "; ".join(_vi(EXPOSURES[e]) for e in d.exposures if e in EXPOSURES),
                row.follow_up.created_at if row.follow_up else None,
                row.follow_up.by_label if row.follow_up else "",
            )
        )
    return Sheet("Khai báo cần theo dõi", HEADERS, table, widths=WIDTHS)
