"""Blank lists to fill in (XLSX, through the shared export writer): the header line the
importers read, one example row, and a second sheet with the allowed values."""

from __future__ import annotations

from fastapi.responses import Response

from epitrace.rollout import organisations as org_service
from epitrace.rollout import rosters
from epitrace.venues import service as venue_service
from epitrace.web import exports, i18n


def organisations_template() -> Response:
    vi = i18n.translations("vi")
    columns = org_service.COLUMNS
    order = [
        "name", "kind", "sector", "ward_code", "ward_name", "address", "tax_code",
        "head_name", "head_title", "contact_phone", "contact_email",
    ]  # fmt: skip
    example = [
        "Trường THPT Trưng Vương", "school", "education", "26743", "Phường Bến Thành",
        "3A Nguyễn Bỉnh Khiêm", "", "Nguyễn Văn An", "Hiệu trưởng", "028 3822 1234",
        "thpt.trungvuong@example.edu.vn",
    ]  # fmt: skip
    choices = [
        (columns["kind"][0], k.value, vi.ugettext(m))
        for k, m in venue_service.ORGANISATION_KIND_NAMES.items()
    ] + [
        (columns["sector"][0], s.value, vi.ugettext(m))
        for s, m in venue_service.SECTOR_NAMES.items()
    ]
    content = exports.to_xlsx(
        exports.Sheet("Danh sách", [columns[name][0] for name in order], [example]),
        exports.Sheet("Giá trị hợp lệ", ["Cột", "Mã", "Ý nghĩa"], choices),
    )
    return exports.attachment(content, name=exports.filename("mau-danh-sach-don-vi", ext="xlsx"))


def roster_template() -> Response:
    columns = rosters.COLUMNS
    order = ["full_name", "phone", "id_number", "department", "kind"]
    rows = [
        ["Nguyễn Thị Lan", "0912 345 678", "079190001234", "Phòng Hành chính", "cán bộ"],
        ["Trần Minh Khoa", "0987 654 321", "", "Lớp 10A1", "học sinh"],
    ]
    content = exports.to_xlsx(
        exports.Sheet("Danh sách", [columns[name][0] for name in order], rows),
        exports.Sheet(
            "Giá trị hợp lệ",
            ["Cột", "Giá trị"],
            [(columns["kind"][0], ", ".join(labels)) for labels in rosters.KIND_ALIASES.values()],
        ),
    )
    return exports.attachment(content, name=exports.filename("mau-danh-sach-nhan-su", ext="xlsx"))
