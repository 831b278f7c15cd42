"""The access report as a spreadsheet (Vietnamese headers), for the unit's own records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from epitrace.security.oversight import ReportRow
from epitrace.web.exports import Sheet

ACCOUNT_HEADERS = (
    "Tài khoản",
    "Vai trò và đơn vị",
    "Số lượt đọc hồ sơ",
    "Số người được đọc",
    "Mục đích đã nêu",
    "Số cảnh báo truy cập bất thường",
)
UNIT_HEADERS = (
    "Đơn vị",
    "Mã đơn vị",
    "Số tài khoản",
    "Số lượt đọc hồ sơ",
    "Số người được đọc",
    "Mục đích đã nêu",
    "Số cảnh báo truy cập bất thường",
)


def _purposes(row: ReportRow) -> str:
    return "; ".join(f"{k}: {v}" for k, v in sorted(row.purposes.items()))


def report_sheet(rows: Sequence[ReportRow], by: Literal["account", "unit"]) -> Sheet:
    if by == "account":
        return Sheet(
            "Theo tài khoản",
            ACCOUNT_HEADERS,
            [(r.label, ", ".join(r.roles), r.reads, r.people, _purposes(r), r.flags) for r in rows],
        )
    return Sheet(
        "Theo đơn vị",
        UNIT_HEADERS,
        [(r.label, r.key, r.accounts, r.reads, r.people, _purposes(r), r.flags) for r in rows],
    )
