"""The readable copy of a citizen's data as a PDF (Vietnamese first, English beside it)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from epitrace import localtime
from epitrace.mydata.schemas import AccessOut, MyDataOut, PersonDataOut
from epitrace.venues.posters import pdf_fonts, strip_diacritics

# The PDF is bilingual whatever the reader's language, as the posters are Vietnamese.
ACTIONS = {
    "read": "xem / read",
    "create": "tạo / created",
    "update": "sửa / changed",
    "delete": "xoá / deleted",
    "export": "xuất tệp / exported",
    "merge": "gộp / merged",
}
WHAT = {
    "person": "hồ sơ / profile",
    "lab_test": "xét nghiệm / test",
    "case": "ca bệnh / case",
    "case_contacts": "người tiếp xúc của ca bệnh / contacts of a case",
    "quarantine_order": "quyết định cách ly / quarantine order",
    "declaration": "tờ khai y tế / health declaration",
    "feedback": "phản ánh / feedback",
    "user_account": "tài khoản / account",
    "user": "tài khoản / account",
}
COLOURS = {"green": "Xanh / green", "yellow": "Vàng / yellow", "red": "Đỏ / red"}
STATES = {
    "active": "đang điều trị / active",
    "recovered": "đã khỏi / recovered",
    "died": "tử vong / died",
    "pending": "chờ kết quả / pending",
    "positive": "dương tính / positive",
    "negative": "âm tính / negative",
    "home": "tại nhà / at home",
    "facility": "tập trung / facility",
}


def _when(moment: datetime | None) -> str:
    return localtime.to_local(moment).strftime("%d/%m/%Y %H:%M") if moment else "—"


class _Writer:
    def __init__(self) -> None:
        self.regular, self.bold, self.unicode = pdf_fonts()
        self.body = ParagraphStyle("body", fontName=self.regular, fontSize=9, leading=12)
        self.h1 = ParagraphStyle("h1", fontName=self.bold, fontSize=15, leading=19, spaceAfter=6)
        self.h2 = ParagraphStyle(
            "h2", fontName=self.bold, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4
        )
        self.flow: list[object] = []

    def text(self, value: str) -> str:
        return escape(value if self.unicode else strip_diacritics(value))

    def heading(self, vi: str, en: str, *, top: bool = False) -> None:
        style = self.h1 if top else self.h2
        self.flow.append(Paragraph(f"{self.text(vi)} / {self.text(en)}", style))

    def para(self, value: str) -> None:
        self.flow.append(Paragraph(self.text(value), self.body))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if not rows:
            self.para("Không có / None")
            return
        cells = [[Paragraph(self.text(str(c)), self.body) for c in row] for row in [header, *rows]]
        table = Table(cells, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.flow.append(table)
        self.flow.append(Spacer(1, 2 * mm))


def _person(w: _Writer, person: PersonDataOut) -> None:
    title = person.full_name or "—"
    who = "Bản thân / Self" if person.relationship == "self" else person.relationship
    w.heading(f"{title} ({who})", "Profile")
    w.table(
        ["Mục / Field", "Giá trị / Value"],
        [
            ["Họ tên / Name", person.full_name or "—"],
            ["Điện thoại / Phone", person.phone or "—"],
            ["Số giấy tờ / ID number", person.id_number or "—"],
            ["Năm sinh / Birth year", str(person.birth_year or "—")],
            ["Phường, xã / Ward", person.ward_name or "—"],
            ["Địa chỉ / Address", person.address or "—"],
            [
                "Thẻ hiện tại / Current pass",
                f"{COLOURS[person.current_pass.colour]}: {person.current_pass.reason}",
            ],
        ],
    )
    w.heading("Tờ khai y tế", "Health declarations")
    w.table(
        ["Thời điểm / When", "Triệu chứng / Symptoms", "Tiếp xúc / Exposure"],
        [
            [_when(d.submitted_at), ", ".join(d.symptoms) or "—", ", ".join(d.exposures) or "—"]
            for d in person.declarations
        ],
    )
    w.heading("Lượt khai báo vào/ra", "Check-ins")
    w.table(
        ["Địa điểm / Venue", "Vào / In", "Ra / Out"],
        [
            [v.venue_name, _when(v.presence.entered_at), _when(v.presence.left_at)]
            for v in person.checkins
        ],
    )
    w.heading("Ca bệnh, xét nghiệm, cách ly", "Cases, tests, quarantine")
    rows = [["Ca bệnh / Case", _when(c.confirmed_at), STATES[c.status]] for c in person.cases]
    rows += [["Xét nghiệm / Test", _when(t.sampled_at), STATES[t.result]] for t in person.tests]
    rows += [
        ["Cách ly / Quarantine", f"{_when(o.starts_at)} – {_when(o.ends_at)}", STATES[o.kind]]
        for o in person.quarantine_orders
    ]
    w.table(["Loại / Kind", "Thời gian / When", "Tình trạng / Status"], rows)
    w.heading("Phản ánh", "Feedback")
    w.table(
        ["Thời điểm / When", "Nội dung / Text", "Trả lời / Answer"],
        [[_when(f.created_at), f.text, f.answer or "—"] for f in person.feedback],
    )


def render(data: MyDataOut, history: Sequence[AccessOut]) -> bytes:
    w = _Writer()
    w.heading("Dữ liệu của tôi", "My data", top=True)
    w.para(f"Lập lúc / Made at: {_when(data.generated_at)}")
    notice = data.notice
    accepted = (
        f"phiên bản {notice.accepted_version}, lúc {_when(notice.accepted_at)}"
        if notice.accepted_version
        else "chưa đồng ý / not accepted yet"
    )
    w.para(f"Thông báo về quyền riêng tư / Privacy notice {notice.version}: {accepted}")
    for person in data.people:
        _person(w, person)
    w.heading("Ai đã xem hoặc thay đổi dữ liệu", "Who read or changed the records")
    w.table(
        ["Thời điểm / When", "Việc / Action", "Ai / Who", "Mục đích / Purpose"],
        [
            [
                _when(a.at),
                f"{ACTIONS.get(a.action, a.action)}: {WHAT.get(a.what, a.what)}",
                a.who,
                a.purpose or "—",
            ]
            for a in history
        ],
    )
    if data.erasure is not None:
        w.heading("Yêu cầu xoá dữ liệu", "Erasure request")
        erasure = data.erasure
        if erasure.status == "done":
            w.para(f"Đã xoá lúc / Erased at {_when(erasure.done_at)}")
        else:
            day = f"{erasure.possible_on:%d/%m/%Y}" if erasure.possible_on else "—"
            w.para(
                f"Yêu cầu lúc / Requested at {_when(erasure.requested_at)}; "
                f"thực hiện vào ngày / honoured on {day}"
            )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title="Dữ liệu của tôi / My data",
    )
    doc.build(w.flow)
    return buffer.getvalue()
