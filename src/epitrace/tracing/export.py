"""The F1/F2 list for field teams: the sheet (Vietnamese headers) that the export writer
(`epitrace.web.exports`) turns into XLSX or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from epitrace.web.exports import Sheet

CONTACT_HEADERS = (
    "Mức",
    "Họ và tên",
    "Số điện thoại",
    "Số CCCD/hộ chiếu",
    "Năm sinh",
    "Địa chỉ",
    "Mã phường/xã cư trú",
    "Phường/xã cư trú",
    "Địa điểm tiếp xúc",
    "Mã phường/xã nơi tiếp xúc",
    "Phường/xã nơi tiếp xúc",
    "Bắt đầu tiếp xúc",
    "Kết thúc tiếp xúc",
    "Số phút tiếp xúc",
    "Tiếp xúc với",
)


def contacts_sheet(rows: Sequence[Sequence[Any]]) -> Sheet:
    return Sheet("F1-F2", CONTACT_HEADERS, rows)
