"""The quarantine list for field teams: the sheet (Vietnamese headers) that the export writer
(`epitrace.web.exports`) turns into XLSX or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from epitrace.web.exports import Sheet

QUARANTINE_HEADERS = (
    "Họ và tên",
    "Số điện thoại",
    "Đối tượng",
    "Hình thức cách ly",
    "Nơi cách ly",
    "Mã phường/xã",
    "Phường/xã",
    "Bắt đầu",
    "Kết thúc",
    "Ngày xét nghiệm",
    "Đã báo cáo hôm nay",
)


def quarantine_sheet(rows: Sequence[Sequence[Any]]) -> Sheet:
    return Sheet("Cách ly", QUARANTINE_HEADERS, rows)
