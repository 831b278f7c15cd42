"""The consolidated rollout report of an area for a period, as the administration files it.

The PDF follows the layout of an administrative document (Decree 30/2020/NĐ-CP, Appendix I;
`docs/rollout.md`, "The formal report"): the two-column header with the national title and
motto, the number left for the office to fill, the title, the results by unit and by sector with
the period before for comparison, the units that lag behind, and the recipients and signature
block. The number, the signature and the seal are never invented: the office adds them. The
XLSX carries the same tables without the layout. Figures come from the stored daily indicators
(`rollout.indicators`), so a report for a past period does not change when it is produced again.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.errors import N_, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import indicators, reports
from epitrace.rollout.models import IndicatorSnapshot, IndicatorUnit
from epitrace.venues import service as venue_service
from epitrace.web import exports, i18n

# A Times-compatible serif with every Vietnamese glyph (Liberation Serif), else DejaVu Serif.
SERIF_FAMILIES = (
    (
        "/usr/share/fonts/truetype/liberation/LiberationSerif-",
        ("Regular", "Bold", "Italic", "BoldItalic"),
    ),
    # condensed first: its widths are close to Times, so lines break where officials expect
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed",
        ("", "-Bold", "-Italic", "-BoldItalic"),
    ),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif", ("", "-Bold", "-Italic", "-BoldItalic")),
)
VIETNAMESE_LETTERS = "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸđĐơƠưƯạộủữ"
LAGGING_SHOWN = 5  # units named in part II when no reporting data says otherwise


@dataclass(frozen=True)
class Figures:
    """One unit's figures for the period: stock at its last day, flows summed over the days."""

    code: str
    name: str
    target: int | None
    citizens: int | None
    declarations: int
    venues: int
    venues_active: int
    venues_with_poster: int
    checkins: int
    roster_members: int
    roster_signed_up: int

    @property
    def citizens_pct(self) -> float | None:
        return indicators.percent_of(self.citizens, self.target)

    @property
    def active_pct(self) -> float | None:
        return indicators.percent_of(self.venues_active, self.venues)

    @property
    def poster_pct(self) -> float | None:
        return indicators.percent_of(self.venues_with_poster, self.venues)

    @property
    def roster_pct(self) -> float | None:
        return indicators.percent_of(self.roster_signed_up, self.roster_members)


@dataclass
class FormalReport:
    area_code: str
    area_name: str
    first: date
    last: date
    issued: date
    total: Figures | None
    previous: Figures | None  # the period of the same length just before
    by_unit: list[Figures]
    by_sector: list[Figures]
    not_reported: list[str] = field(default_factory=list)  # from the reporting chain
    recipients: list[str] = field(default_factory=list)


def _figures(code: str, name: str, rows: Sequence[IndicatorSnapshot]) -> Figures | None:
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r.day)
    end = rows[-1]
    return Figures(
        code=code,
        name=name,
        target=indicators.signup_target(end),
        citizens=end.citizens,
        declarations=sum(r.declarations or 0 for r in rows),
        venues=end.venues,
        venues_active=end.venues_active,
        venues_with_poster=end.venues_with_poster,
        checkins=sum(r.checkins for r in rows),
        roster_members=end.roster_members,
        roster_signed_up=end.roster_signed_up,
    )


def _rows(
    session: Session, unit: IndicatorUnit, codes: Sequence[str], first: date, last: date
) -> dict[tuple[str, str], list[IndicatorSnapshot]]:
    """Stored rows of these units over the days, by (area code, sector): one query."""
    stmt = select(IndicatorSnapshot).where(
        IndicatorSnapshot.unit_type == unit,
        IndicatorSnapshot.area_code.in_(list(codes)),
        IndicatorSnapshot.day >= first,
        IndicatorSnapshot.day <= last,
    )
    grouped: dict[tuple[str, str], list[IndicatorSnapshot]] = defaultdict(list)
    for row in session.scalars(stmt):
        grouped[(row.area_code, row.sector)].append(row)
    return grouped


DEFAULT_RECIPIENTS = (
    "UBND tỉnh, thành phố (để báo cáo)",
    "Ban Chỉ đạo phòng, chống dịch",
    "Sở Y tế",
    "UBND các quận, huyện, phường, xã",
)


def build(
    session: Session,
    *,
    area_code: str,
    first: date,
    last: date,
    issued: date,
    not_reported: Sequence[str] = (),
    recipients: Sequence[str] = DEFAULT_RECIPIENTS,
) -> FormalReport:
    """The report's figures from the stored indicators of the area, its children and sectors."""
    indicators.days_between(first, last)  # refuses a reversed or too long period
    unit = place_service.get(session, code=area_code)
    if unit is None:
        raise InvalidInput(
            N_("The unit %(code)s does not exist."),
            params={"code": area_code},
            fields={"unit": N_("Choose a unit from the list of administrative units.")},
        )
    children = place_service.get_children(session, code=area_code)
    length = (last - first).days + 1
    before_first, before_last = first - timedelta(days=length), first - timedelta(days=1)
    own = _rows(session, IndicatorUnit.AREA, [area_code], first, last)
    earlier = _rows(session, IndicatorUnit.AREA, [area_code], before_first, before_last)
    kids = _rows(session, IndicatorUnit.AREA, [c.code for c in children], first, last)
    sectors = _rows(session, IndicatorUnit.SECTOR, [area_code], first, last)
    names = venue_service.SECTOR_NAMES
    by_unit = [
        f
        for c in children
        if (f := _figures(c.code, c.name, kids.get((c.code, ""), []))) is not None
    ]
    by_sector = [
        f
        for (_code, sector), rows in sorted(sectors.items(), key=lambda item: item[0][1])
        if (f := _figures(sector, _vi(names.get(sector, sector)), rows)) is not None  # type: ignore[call-overload]
    ]
    return FormalReport(
        area_code=area_code,
        area_name=unit.name,
        first=first,
        last=last,
        issued=issued,
        total=_figures(area_code, unit.name, own.get((area_code, ""), [])),
        previous=_figures(area_code, unit.name, earlier.get((area_code, ""), [])),
        by_unit=by_unit,
        by_sector=by_sector,
        not_reported=list(not_reported),
        recipients=list(recipients),
    )


def not_reported(session: Session, *, area_code: str, day: date) -> list[str]:
    """Units of the area that owe a report for the period containing `day`, on every active
    form of the area or of a unit above it: "<unit> (<form>, <period>)"."""
    if place_service.get(session, code=area_code) is None:
        return []
    return [
        f"{lag.name} ({rate.form.name}, {rate.period.key})"
        for rate in reports.rates_at(session, area_code=area_code, day=day)
        for lag in rate.lagging
    ]


def _vi(msgid: str) -> str:
    return i18n.translations("vi").ugettext(msgid)


# -- numbers and dates the Vietnamese way ---------------------------------------------------


def number(value: int | None) -> str:
    """12.345 (dot for thousands); a dash when there is no figure."""
    return "—" if value is None else f"{value:,}".replace(",", ".")


def percent(value: float | None) -> str:
    """87,5% (comma for decimals); a dash when the base is zero."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def long_date(day: date) -> str:
    """`ngày 05 tháng 12 năm 2026`: days below 10 and months 1–2 take a leading zero."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_name(area_name: str) -> str:
    """The place in the date line: `Thành phố Hồ Chí Minh`, but `Lâm Đồng` for `Tỉnh Lâm Đồng`."""
    for prefix in ("Tỉnh ", "Phường ", "Xã ", "Quận ", "Huyện ", "Thị xã ", "Đặc khu "):
        if area_name.startswith(prefix):
            return area_name.removeprefix(prefix)
    return area_name


def subject(report: FormalReport) -> str:
    return (
        "Tình hình triển khai bộ giải pháp phòng, chống dịch trên địa bàn "
        f"{report.area_name}, từ {report.first:%d/%m} đến {report.last:%d/%m/%Y}"
    )


# -- the tables (shared by the PDF and the XLSX) --------------------------------------------

UNIT_HEADERS = (
    "STT",
    "Đơn vị",
    "Người dân đăng ký",
    "Tỷ lệ so với chỉ tiêu",
    "Lượt khai báo y tế",
    "Địa điểm đăng ký",
    "Địa điểm hoạt động",
    "Tỷ lệ có mã QR",
    "Lượt quét mã",
)
SECTOR_HEADERS = (
    "STT",
    "Ngành",
    "Địa điểm đăng ký",
    "Địa điểm hoạt động",
    "Lượt quét mã",
    "Nhân sự trong danh sách",
    "Tỷ lệ đã đăng ký",
)


def unit_table(report: FormalReport) -> list[list[str]]:
    rows = [
        [
            str(i),
            f.name,
            number(f.citizens),
            percent(f.citizens_pct),
            number(f.declarations),
            number(f.venues),
            number(f.venues_active),
            percent(f.poster_pct),
            number(f.checkins),
        ]
        for i, f in enumerate(report.by_unit, start=1)
    ]
    if report.total is not None:
        t = report.total
        rows.append(
            [
                "",
                "Tổng cộng",
                number(t.citizens),
                percent(t.citizens_pct),
                number(t.declarations),
                number(t.venues),
                number(t.venues_active),
                percent(t.poster_pct),
                number(t.checkins),
            ]
        )
    return rows


def sector_table(report: FormalReport) -> list[list[str]]:
    return [
        [
            str(i),
            f.name,
            number(f.venues),
            number(f.venues_active),
            number(f.checkins),
            number(f.roster_members),
            percent(f.roster_pct),
        ]
        for i, f in enumerate(report.by_sector, start=1)
    ]


def lagging(report: FormalReport) -> list[Figures]:
    """The units furthest behind their sign-up target (those with a target), worst first."""
    measured = [f for f in report.by_unit if f.citizens_pct is not None]
    return sorted(measured, key=lambda f: (f.citizens_pct or 0, f.name))[:LAGGING_SHOWN]


def results_text(report: FormalReport) -> str:
    t, p = report.total, report.previous
    if t is None:
        return (
            "Chưa có số liệu chỉ số của kỳ báo cáo (chỉ số được tính hằng đêm; "
            "có thể tính lại bằng lệnh epitrace rollout indicators)."
        )
    text = (
        f"Đến hết ngày {report.last:%d/%m/%Y}, toàn địa bàn có {number(t.citizens)} người dân "
        f"đăng ký sử dụng ({percent(t.citizens_pct)} so với chỉ tiêu), {number(t.venues)} địa "
        f"điểm đăng ký mã QR, trong đó {number(t.venues_active)} địa điểm hoạt động "
        f"({percent(t.active_pct)}). Trong kỳ có {number(t.declarations)} lượt khai báo y tế và "
        f"{number(t.checkins)} lượt quét mã."
    )
    if p is not None:
        text += (
            f" Kỳ trước: {number(p.citizens)} người dân đăng ký, {number(p.declarations)} lượt "
            f"khai báo y tế, {number(p.checkins)} lượt quét mã."
        )
    return text


# -- XLSX ---------------------------------------------------------------------------------


def to_xlsx(report: FormalReport) -> bytes:
    sheets = [
        exports.Sheet("Theo đơn vị", UNIT_HEADERS, unit_table(report)),
        exports.Sheet("Theo ngành", SECTOR_HEADERS, sector_table(report)),
        exports.Sheet(
            "Đơn vị chậm",
            ("STT", "Đơn vị", "Nội dung"),
            [[str(i), name, "Chưa báo cáo"] for i, name in enumerate(report.not_reported, 1)]
            + [
                [
                    str(len(report.not_reported) + i),
                    f.name,
                    f"Tỷ lệ đăng ký {percent(f.citizens_pct)}",
                ]
                for i, f in enumerate(lagging(report), 1)
            ],
        ),
    ]
    return exports.to_xlsx(*sheets)


# -- PDF ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str, str, str]:
    """Regular, bold, italic and bold italic names of an embedded Vietnamese serif."""
    for prefix, styles in SERIF_FAMILIES:
        paths = [Path(f"{prefix}{style}.ttf") for style in styles]
        if not all(p.is_file() for p in paths):
            continue
        fonts = [
            TTFont(f"Report{style}", str(path)) for style, path in zip(styles, paths, strict=True)
        ]
        # older Liberation releases lack the precomposed Vietnamese letters: check, not trust
        if not all(set(map(ord, VIETNAMESE_LETTERS)) <= set(f.face.charToGlyph) for f in fonts):
            continue
        for font in fonts:
            pdfmetrics.registerFont(font)
        return tuple(f.fontName for f in fonts)
    raise InvalidInput(
        N_("No Vietnamese serif font is installed (fonts-liberation or fonts-dejavu-core).")
    )


class _Rule(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A short centred line under a heading."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.rule_width = width
        self.height = 4

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.available = available_width
        return available_width, self.height

    def draw(self) -> None:
        start = (self.available - self.rule_width) / 2
        self.canv.setLineWidth(0.6)
        self.canv.line(start, 2, start + self.rule_width, 2)


def to_pdf(report: FormalReport) -> bytes:
    regular, bold, italic, bold_italic = _fonts()

    def style(
        name: str, font: str, size: float, align: int = TA_LEFT, **extra: float
    ) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.3, alignment=align, **extra
        )

    centre_regular = style("cr", regular, 12.5, TA_CENTER)
    centre_bold = style("cb", bold, 12.5, TA_CENTER)
    motto = style("motto", bold, 13, TA_CENTER)
    number_style = style("number", regular, 13, TA_CENTER)
    dated = style("dated", italic, 12.5, TA_CENTER)
    title = style("title", bold, 14, TA_CENTER, spaceBefore=12)
    body = style("body", regular, 13, TA_JUSTIFY, firstLineIndent=1.27 * cm, spaceAfter=6)
    heading = style("heading", bold, 13, TA_LEFT, spaceBefore=8, spaceAfter=4)
    caption = style("caption", bold, 12, TA_CENTER, spaceBefore=4, spaceAfter=2)
    unit_note = style("unitnote", italic, 11, TA_CENTER, spaceAfter=4)
    cell = style("cell", regular, 10, TA_LEFT)
    cell_number = style("celln", regular, 10, TA_RIGHT)
    cell_bold = style("cellb", bold, 10, TA_CENTER)
    recipients_title = style("rt", bold_italic, 12)
    recipient = style("recipient", regular, 11)
    sign = style("sign", bold, 13, TA_CENTER)

    issuing = "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    header = Table(
        [
            [
                Paragraph(f"ỦY BAN NHÂN DÂN<br/>{report.area_name.upper()}", centre_regular),
                Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centre_bold),
            ],
            [Paragraph(issuing, centre_bold), Paragraph("Độc lập - Tự do - Hạnh phúc", motto)],
            [_Rule(3 * cm), _Rule(6 * cm)],
            [
                Paragraph("Số:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;/BC-STTTT", number_style),
                Paragraph(f"{place_name(report.area_name)}, {long_date(report.issued)}", dated),
            ],
        ],
        colWidths=[6.3 * cm, 10.2 * cm],
    )
    header.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )

    def table(headers: Sequence[str], rows: list[list[str]], widths: list[float]) -> Table:
        data = [[Paragraph(h, cell_bold) for h in headers]]
        data += [
            [Paragraph(value, cell if i < 2 else cell_number) for i, value in enumerate(row)]
            for row in rows
        ]
        grid = Table(data, colWidths=widths, repeatRows=1)
        commands = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
        ]
        if rows and rows[-1][1] == "Tổng cộng":
            commands.append(("FONTNAME", (0, len(rows)), (-1, len(rows)), bold))
        grid.setStyle(TableStyle(commands))
        return grid

    story: list[Flowable] = [
        header,
        Spacer(1, 10),
        Paragraph("BÁO CÁO", title),
        Paragraph(subject(report), style("subject", bold, 13, TA_CENTER)),
        _Rule(4 * cm),
        Spacer(1, 8),
        Paragraph("I. KẾT QUẢ TRIỂN KHAI", heading),
        Paragraph(results_text(report), body),
        Paragraph("Bảng 1. Kết quả theo đơn vị hành chính", caption),
        Paragraph("Đơn vị tính: người, địa điểm, lượt", unit_note),
        table(
            UNIT_HEADERS,
            unit_table(report),
            [
                0.9 * cm,
                3.2 * cm,
                1.8 * cm,
                1.5 * cm,
                1.6 * cm,
                1.5 * cm,
                1.6 * cm,
                1.5 * cm,
                1.6 * cm,
            ],
        ),
        Paragraph("Bảng 2. Kết quả theo ngành", caption),
        Paragraph("Đơn vị tính: địa điểm, lượt, người", unit_note),
        table(
            SECTOR_HEADERS,
            sector_table(report),
            [1.1 * cm, 4.1 * cm, 2.0 * cm, 2.0 * cm, 2.0 * cm, 2.3 * cm, 1.7 * cm],
        ),
        Paragraph("II. ĐƠN VỊ CHƯA BÁO CÁO HOẶC CHẬM TRIỂN KHAI", heading),
    ]
    if report.not_reported:
        story.append(
            Paragraph("Các đơn vị chưa gửi báo cáo: " + ", ".join(report.not_reported) + ".", body)
        )
    behind = lagging(report)
    if behind:
        story.append(
            Paragraph(
                "Các đơn vị có tỷ lệ người dân đăng ký thấp nhất: "
                + "; ".join(f"{f.name} ({percent(f.citizens_pct)})" for f in behind)
                + ".",
                body,
            )
        )
    if not report.not_reported and not behind:
        story.append(Paragraph("Không có.", body))
    dots = "." * 150
    story += [
        Paragraph("III. KHÓ KHĂN, VƯỚNG MẮC", heading),
        Paragraph(dots, body),
        Paragraph("IV. ĐỀ XUẤT, KIẾN NGHỊ VÀ NHIỆM VỤ TIẾP THEO", heading),
        Paragraph(dots, body),
        Spacer(1, 12),
    ]
    recipients = [Paragraph("Nơi nhận:", recipients_title)]
    recipients += [Paragraph(f"- {r};", recipient) for r in report.recipients]
    recipients.append(Paragraph("- Lưu: VT.", recipient))
    signature = [
        Paragraph("GIÁM ĐỐC", sign),
        Spacer(1, 2.5 * cm),  # signature and seal, added by the office
    ]
    closing = Table([[recipients, signature]], colWidths=[8 * cm, 8 * cm])
    closing.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story.append(KeepTogether([closing]))

    def page_number(canvas: object, doc: SimpleDocTemplate) -> None:
        canvas.setFont(regular, 13)  # type: ignore[attr-defined]
        canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, str(doc.page))  # type: ignore[attr-defined]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        leftMargin=30 * mm,
        rightMargin=15 * mm,
        title=f"Báo cáo {subject(report)}",
        author="epitrace",
    )
    doc.build(story, onLaterPages=page_number)
    return buffer.getvalue()
