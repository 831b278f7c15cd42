"""Printable venue posters (PDF and PNG): the QR code, the venue, short Vietnamese instructions.

The poster is always in Vietnamese (it hangs at a door for everyone). Text needs a Unicode
TrueType font for Vietnamese diacritics: DejaVu Sans from the system is used when present;
without it the PDF falls back to Helvetica with diacritics removed, so it stays legible.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

APP_NAME = "epitrace"
TITLE = "QUÉT MÃ QR KHI VÀO VÀ KHI RA"
INSTRUCTIONS = (
    "1. Mở camera điện thoại hoặc ứng dụng epitrace và quét mã.",
    "2. Đăng nhập bằng số điện thoại rồi bấm «Khai báo vào».",
    "3. Khi ra về, quét lại mã hoặc bấm «Khai báo ra».",
    "Không có điện thoại thông minh? Nhờ nhân viên tại cửa ghi giúp.",
)
FOOTER = "Thực hiện khai báo vào/ra để phòng, chống dịch bệnh — {app}"

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)
BOLD_CANDIDATES = tuple(p.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf") for p in FONT_CANDIDATES)
SIZES = {"a4": A4, "a5": A5}
PNG_DPI = 150


@dataclass(frozen=True)
class PosterText:
    venue_name: str
    address: str
    ward_name: str
    category_label: str
    url: str


def _first_existing(paths: tuple[str, ...]) -> Path | None:
    for candidate in paths:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def pdf_fonts() -> tuple[str, str, bool]:
    """(regular, bold, unicode?) font names registered with reportlab."""
    regular = _first_existing(FONT_CANDIDATES)
    bold = _first_existing(BOLD_CANDIDATES) or regular
    if regular is None or bold is None:
        return "Helvetica", "Helvetica-Bold", False
    pdfmetrics.registerFont(TTFont("EpiSans", str(regular)))
    pdfmetrics.registerFont(TTFont("EpiSans-Bold", str(bold)))
    return "EpiSans", "EpiSans-Bold", True


def strip_diacritics(text: str) -> str:
    """Vietnamese without diacritics (đ → d), for fonts that lack the glyphs."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def qr(url: str) -> segno.QRCode:
    """The venue's QR code: level M, never boosted, so its size is predictable."""
    return segno.make_qr(url, error="m", boost_error=False)


def qr_image(url: str, *, scale: int = 10, border: int = 4) -> Image.Image:
    buffer = io.BytesIO()
    qr(url).save(buffer, kind="png", scale=scale, border=border)
    buffer.seek(0)
    image = Image.open(buffer)
    image.load()
    return image.convert("L")


def wrap(text: str, width: float, measure: object) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if current and measure(trial) > width:  # type: ignore[operator]
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def pdf(text: PosterText, *, size: str = "a4") -> bytes:
    """A one-page PDF poster."""
    width, height = SIZES[size]
    regular, bold, unicode_ok = pdf_fonts()

    def t(value: str) -> str:
        return value if unicode_ok else strip_diacritics(value)

    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    doc.setTitle(t(f"{text.venue_name} — mã QR khai báo vào/ra"))
    doc.setAuthor(APP_NAME)
    unit = width / A4[0]  # sizes scale with the page
    margin = 15 * mm * unit
    y = height - margin
    doc.setFillColorRGB(0.043, 0.431, 0.31)
    doc.rect(0, height - 28 * mm * unit, width, 28 * mm * unit, stroke=0, fill=1)
    doc.setFillColorRGB(1, 1, 1)
    doc.setFont(bold, 22 * unit)
    doc.drawCentredString(width / 2, height - 17 * mm * unit, t(TITLE))
    y = height - 28 * mm * unit - 14 * mm * unit
    doc.setFillColorRGB(0, 0, 0)
    for line in wrap(
        t(text.venue_name), width - 2 * margin, lambda s: doc.stringWidth(s, bold, 26 * unit)
    ):
        doc.setFont(bold, 26 * unit)
        doc.drawCentredString(width / 2, y, line)
        y -= 30 * unit
    doc.setFont(regular, 13 * unit)
    for value in (text.category_label, text.address, text.ward_name):
        if value:
            for line in wrap(
                t(value), width - 2 * margin, lambda s: doc.stringWidth(s, regular, 13 * unit)
            ):
                doc.drawCentredString(width / 2, y, line)
                y -= 17 * unit
    side = min(width - 2 * margin, 120 * mm * unit)
    y -= side + 4 * mm * unit
    image = qr_image(text.url, scale=8)
    doc.drawImage(ImageReader(image), (width - side) / 2, y, side, side)
    y -= 10 * mm * unit
    doc.setFont(regular, 12 * unit)
    for instruction in INSTRUCTIONS:
        for line in wrap(
            t(instruction), width - 2 * margin, lambda s: doc.stringWidth(s, regular, 12 * unit)
        ):
            doc.drawString(margin, y, line)
            y -= 16 * unit
    doc.setFont(regular, 8 * unit)
    doc.setFillColorRGB(0.3, 0.3, 0.3)
    doc.drawCentredString(width / 2, margin / 2 + 8 * unit, text.url)
    doc.drawCentredString(width / 2, margin / 2, t(FOOTER.format(app=APP_NAME)))
    doc.showPage()
    doc.save()
    return buffer.getvalue()


def _pil_font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _first_existing(BOLD_CANDIDATES if bold else FONT_CANDIDATES)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def png(text: PosterText, *, size: str = "a5") -> bytes:
    """The same poster as a PNG image (150 dpi), for sharing in chat apps or screens."""
    width_pt, height_pt = SIZES[size]
    width, height = round(width_pt / 72 * PNG_DPI), round(height_pt / 72 * PNG_DPI)
    unit = width / 1240  # 1240 px is A4 at 150 dpi
    poster = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(poster)
    band = round(165 * unit)
    draw.rectangle((0, 0, width, band), fill=(11, 110, 79))
    title_font = _pil_font(round(60 * unit), bold=True)
    draw.text((width / 2, band / 2), TITLE, font=title_font, fill="white", anchor="mm")
    y = band + round(70 * unit)
    margin = round(90 * unit)
    name_font = _pil_font(round(70 * unit), bold=True)
    small = _pil_font(round(36 * unit))
    for line in wrap(
        text.venue_name, width - 2 * margin, lambda s: draw.textlength(s, font=name_font)
    ):
        draw.text((width / 2, y), line, font=name_font, fill="black", anchor="mm")
        y += round(85 * unit)
    for value in (text.category_label, text.address, text.ward_name):
        if value:
            for line in wrap(value, width - 2 * margin, lambda s: draw.textlength(s, font=small)):
                draw.text((width / 2, y), line, font=small, fill="black", anchor="mm")
                y += round(46 * unit)
    side = min(width - 2 * margin, round(720 * unit))
    code = qr_image(text.url, scale=1, border=4)
    code = code.resize((side, side), Image.Resampling.NEAREST)
    poster.paste(code, ((width - side) // 2, y))
    y += side + round(40 * unit)
    for instruction in INSTRUCTIONS:
        for line in wrap(instruction, width - 2 * margin, lambda s: draw.textlength(s, font=small)):
            draw.text((margin, y), line, font=small, fill="black")
            y += round(46 * unit)
    tiny_size = round(22 * unit)
    tiny = _pil_font(tiny_size)
    while tiny_size > 8 and draw.textlength(text.url, font=tiny) > width - margin:
        tiny_size -= 1
        tiny = _pil_font(tiny_size)
    draw.text(
        (width / 2, height - round(50 * unit)), text.url, font=tiny, fill=(80, 80, 80), anchor="mm"
    )
    buffer = io.BytesIO()
    poster.save(buffer, format="PNG", dpi=(PNG_DPI, PNG_DPI), optimize=True)
    return buffer.getvalue()
