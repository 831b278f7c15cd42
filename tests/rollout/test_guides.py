"""Guides agencies publish: a public page per audience, a printable leaflet, a QR, a snippet."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from epitrace.rollout import guides
from tests.qr import decode_qr


@pytest.mark.parametrize("audience", sorted(guides.GUIDES))
def test_each_guide_is_public_and_in_vietnamese(client: TestClient, audience: str) -> None:
    page = client.get(f"/guides/{audience}")
    assert page.status_code == 200
    assert 'lang="vi"' in page.text
    assert f"/guides/{audience}/leaflet.pdf" in page.text
    assert page.text.count("<li>") >= len(guides.GUIDES[audience].steps)


def test_the_index_lists_every_audience(client: TestClient) -> None:
    page = client.get("/guides")
    assert page.status_code == 200
    for audience in guides.GUIDES:
        assert f'href="/guides/{audience}"' in page.text
    assert "/guides" in client.get("/").text


def test_an_unknown_audience_is_a_404_in_vietnamese(client: TestClient) -> None:
    response = client.get("/guides/tourists")
    assert response.status_code == 404
    assert "Không có hướng dẫn cho đối tượng này." in response.text


def test_passengers_leaflet_says_scan_before_boarding_with_diacritics(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.get("/guides/passengers/leaflet.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(response.content)
    pdftotext, pdfinfo = shutil.which("pdftotext"), shutil.which("pdfinfo")
    assert pdftotext and pdfinfo, "poppler-utils is needed to read the leaflet"
    text = subprocess.run(  # noqa: S603 - a fixed tool on a file this test wrote
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "QUÉT MÃ TRƯỚC KHI LÊN XE" in text
    assert "Quét mã QR dán trên xe trước khi lên xe." in text
    assert "/guides/passengers" in text
    pages = subprocess.run(  # noqa: S603 - as above
        [pdfinfo, str(pdf)], check=True, capture_output=True, text=True
    )
    assert "Pages:           1" in pages.stdout


def test_the_qr_image_opens_the_guide_and_may_be_shown_on_other_sites(
    client: TestClient,
) -> None:
    response = client.get("/guides/citizens/qr.png")
    assert response.status_code == 200
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    [code] = decode_qr(Image.open(io.BytesIO(response.content)))
    assert code == guides.guide_url(str(client.app.state.settings.base_url), "citizens")  # type: ignore[attr-defined]


def test_the_snippet_is_a_link_and_an_image_without_script(client: TestClient) -> None:
    snippet = guides.embed_snippet(guides.GUIDES["staff"], base_url="https://epitrace.example.vn/")
    assert snippet.startswith('<a href="https://epitrace.example.vn/guides/staff"')
    assert '<img src="https://epitrace.example.vn/guides/staff/qr.png"' in snippet
    assert "<script" not in snippet
    assert "<iframe" not in snippet
    page = client.get("/guides/staff")
    assert "&lt;a href=" in page.text  # shown as text to copy, not rendered
