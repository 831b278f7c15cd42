"""Public guide pages, leaflets and QR images for agencies' portals (on `pages.router`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from epitrace.errors import N_, NotFound
from epitrace.rollout import guides
from epitrace.rollout.pages import router as pages
from epitrace.security.permissions import public
from epitrace.web.deps import AppSettings
from epitrace.web.templating import render


def _guide(audience: str) -> guides.Guide:
    guide = guides.GUIDES.get(audience)
    if guide is None:
        raise NotFound(N_("There is no guide for this audience."))
    return guide


@pages.get("/guides", response_class=HTMLResponse)
@public
def guides_index(request: Request) -> HTMLResponse:
    """The guides for each audience, for agencies to publish."""
    return render(request, "rollout/guides.html", {"guides": list(guides.GUIDES.values())})


@pages.get("/guides/{audience}", response_class=HTMLResponse)
@public
def guide_page(request: Request, audience: str, settings: AppSettings) -> HTMLResponse:
    """One audience's guide: the steps, the leaflet and the snippet to embed."""
    guide = _guide(audience)
    site = settings.base_url.rstrip("/")
    return render(
        request,
        "rollout/guide.html",
        {
            "guide": guide,
            "steps": guides.steps_for(guide, site=site),
            "snippet": guides.embed_snippet(guide, base_url=site),
            "url": guides.guide_url(site, guide.audience),
        },
    )


@pages.get("/guides/{audience}/leaflet.pdf")
@public
def guide_leaflet(audience: str, settings: AppSettings) -> Response:
    """The printable one-page leaflet (A4, Vietnamese)."""
    guide = _guide(audience)
    content = guides.leaflet_pdf(guide, base_url=settings.base_url)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="huong-dan-{guide.audience}.pdf"',
        },
    )


@pages.get("/guides/{audience}/qr.png")
@public
def guide_qr(audience: str, settings: AppSettings) -> Response:
    """The QR code of the guide page, for portals and printed material."""
    guide = _guide(audience)
    content = guides.qr_png(guides.guide_url(settings.base_url, guide.audience))
    # portals on other sites show this image: it may be loaded cross-origin
    return Response(
        content,
        media_type="image/png",
        headers={
            "Cache-Control": "public, max-age=86400",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )
