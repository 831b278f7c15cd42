"""Install and scanning guides that agencies publish on their portals, one per audience.

The order asks every agency to publish instructions: citizens, staff of agencies and
enterprises, and passengers of public transport ("scan before boarding"). Each audience has a
public page, a printable one-page leaflet (PDF, always Vietnamese, like posters) with a QR code
to the page, and an HTML snippet to embed on a portal.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from epitrace.errors import N_
from epitrace.venues import posters
from epitrace.web import i18n


@dataclass(frozen=True)
class Guide:
    audience: str  # the URL segment
    title: str  # msgid
    lead: str  # msgid
    steps: tuple[str, ...]  # msgids; "%(site)s" is the deployment's address


GUIDES = {
    g.audience: g
    for g in (
        Guide(
            "citizens",
            N_("For citizens: install the app and scan QR codes"),
            N_(
                "Everyone with a smartphone installs the suite, declares their health and scans "
                "the QR code at every place they enter and leave."
            ),
            (
                N_(
                    "Open %(site)s in the phone's browser and choose «Add to home screen» to "
                    "install it."
                ),
                N_("Sign in with your mobile number and the code sent to you by SMS."),
                N_("Make your health declaration, and one for each relative without a smartphone."),
                N_(
                    "At offices, markets, schools, hospitals, hotels, stations and in vehicles, "
                    "scan the QR code posted at the door when you enter, and again when you "
                    "leave."
                ),
                N_("Show «My QR pass» when the staff at a door ask for it."),
                N_("Allow notifications: you are told when you were near a case."),
            ),
        ),
        Guide(
            "staff",
            N_("For staff of agencies and enterprises"),
            N_(
                "Every member of staff installs and uses the suite, helps their relatives do the "
                "same, and scans the code of their workplace every day."
            ),
            (
                N_(
                    "Open %(site)s in the phone's browser and choose «Add to home screen» to "
                    "install it."
                ),
                N_("Sign in with the mobile number your organisation has on its staff list."),
                N_("Declare your health, and that of your relatives."),
                N_(
                    "Scan your workplace's QR code every day when you arrive and when you leave, "
                    "and at every other place you visit."
                ),
                N_(
                    "Your organisation sees how many of its staff have signed up and declared, "
                    "never where you went."
                ),
            ),
        ),
        Guide(
            "passengers",
            N_("For passengers: scan before boarding"),
            N_(
                "Buses, coaches, trains, boats and taxis carry a QR code: scan it before "
                "boarding, so that passengers can be told if someone on board falls ill."
            ),
            (
                N_("Install the suite from %(site)s and sign in with your mobile number."),
                N_("Scan the QR code posted in the vehicle before boarding."),
                N_("Scan it again, or press «Check out», when you get off."),
                N_("No smartphone? Give your name and phone number to the crew."),
            ),
        ),
    )
}


def guide_url(base_url: str, audience: str) -> str:
    return f"{base_url.rstrip('/')}/guides/{audience}"


def steps_for(guide: Guide, *, site: str) -> list[str]:
    """The steps in the request's language, with the deployment's address."""
    return [i18n.gettext(step, site=site) for step in guide.steps]


def embed_snippet(guide: Guide, *, base_url: str) -> str:
    """HTML for an agency's portal: a link with the QR code image, no script, no frame."""
    url = guide_url(base_url, guide.audience)
    title = _vi(guide.title)
    return (
        f'<a href="{url}" style="display:inline-block;text-align:center;'
        f'font:16px/1.4 sans-serif;color:#0b6e4f">'
        f'<img src="{url}/qr.png" width="160" height="160" alt="{title}"><br>{title}</a>'
    )


def _vi(msgid: str, **params: str) -> str:
    text = i18n.translations("vi").ugettext(msgid)
    return text % params if params else text


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    posters.qr(url).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def leaflet_pdf(guide: Guide, *, base_url: str) -> bytes:
    """The printable one-page leaflet (A4, Vietnamese), with a QR code to the guide page."""
    regular, bold, unicode_ok = posters.pdf_fonts()

    def t(value: str) -> str:
        return value if unicode_ok else posters.strip_diacritics(value)

    width, height = A4
    margin = 18 * mm
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    doc.setTitle(t(_vi(guide.title)))
    doc.setAuthor(posters.APP_NAME)
    doc.setFillColorRGB(0.043, 0.431, 0.31)
    doc.rect(0, height - 30 * mm, width, 30 * mm, stroke=0, fill=1)
    doc.setFillColorRGB(1, 1, 1)
    y = height - 14 * mm
    for line in posters.wrap(
        t(_vi(guide.title).upper()), width - 2 * margin, lambda s: doc.stringWidth(s, bold, 18)
    ):
        doc.setFont(bold, 18)
        doc.drawCentredString(width / 2, y, line)
        y -= 22
    doc.setFillColorRGB(0, 0, 0)
    y = height - 30 * mm - 12 * mm
    doc.setFont(regular, 13)
    for line in posters.wrap(
        t(_vi(guide.lead)), width - 2 * margin, lambda s: doc.stringWidth(s, regular, 13)
    ):
        doc.drawString(margin, y, line)
        y -= 18
    y -= 8
    site = base_url.rstrip("/")
    for number, step in enumerate(guide.steps, start=1):
        text = f"{number}. {_vi(step, site=site)}"
        for index, line in enumerate(
            posters.wrap(
                t(text), width - 2 * margin - 10, lambda s: doc.stringWidth(s, regular, 13)
            )
        ):
            doc.drawString(margin + (0 if index == 0 else 14), y, line)
            y -= 18
        y -= 6
    url = guide_url(base_url, guide.audience)
    side = 55 * mm
    y -= side
    doc.drawImage(ImageReader(posters.qr_image(url, scale=8)), (width - side) / 2, y, side, side)
    doc.setFont(regular, 10)
    doc.drawCentredString(width / 2, y - 12, url)
    doc.setFont(regular, 8)
    doc.setFillColorRGB(0.3, 0.3, 0.3)
    doc.drawCentredString(width / 2, margin / 2, t(posters.FOOTER.format(app=posters.APP_NAME)))
    doc.showPage()
    doc.save()
    return buffer.getvalue()
