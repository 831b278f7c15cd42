"""Venue registry through the HTTP API: register, list by area, suspend, reissue, posters."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from base64 import a85decode
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from epitrace.security.keys import Keyring
from epitrace.security.tokens import b64decode, b64encode
from epitrace.venues import codes
from tests.qr import decode_qr


def _create(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Chợ Bến Thành", "category": "market", "ward_code": "26743", **fields}
    response = client.post("/api/v1/venues", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_operator_registers_a_venue_and_becomes_its_operator(
    client: TestClient, make_staff: Any, places: Any, keyring: Keyring
) -> None:
    headers = make_staff("venue_operator", "26743")
    venue = _create(client, headers, address="Lê Lợi, Quận 1", capacity=500)
    assert venue["qr_url"].startswith("https://epitrace.example.vn/c/")
    token = venue["qr_url"].rsplit("/", 1)[1]
    assert codes.read_token(keyring, token).number == venue["number"]
    operators = client.get(f"/api/v1/venues/{venue['id']}/operators", headers=headers).json()
    assert len(operators) == 1
    listed = client.get("/api/v1/venues", headers=headers).json()
    assert [v["id"] for v in listed["items"]] == [venue["id"]]
    # another operator of the same ward does not see it
    other = make_staff("venue_operator", "26743")
    assert client.get("/api/v1/venues", headers=other).json()["total"] == 0
    assert client.get(f"/api/v1/venues/{venue['id']}", headers=other).status_code == 403


def test_officials_list_only_their_area(client: TestClient, make_staff: Any, places: Any) -> None:
    admin = make_staff("system_admin", None)
    inside = _create(client, admin, name="Trường Tiểu học Bến Thành", category="school")
    _create(client, admin, name="Chợ Hàng Da", ward_code="00070")
    ward = make_staff("ward_official", "26743")
    listed = client.get("/api/v1/venues", headers=ward).json()
    assert [v["id"] for v in listed["items"]] == [inside["id"]]
    province = make_staff("province_official", "01")
    names = [v["name"] for v in client.get("/api/v1/venues", headers=province).json()["items"]]
    assert names == ["Chợ Hàng Da"]
    assert (
        client.post(
            "/api/v1/venues",
            json={"name": "x", "category": "market", "ward_code": "26743"},
            headers=ward,
        ).status_code
        == 403
    )


def test_bad_input_gets_reasons_in_vietnamese(
    client: TestClient, make_staff: Any, places: Any
) -> None:
    headers = make_staff("org_admin", "79")
    response = client.post(
        "/api/v1/venues",
        json={"name": "", "category": "spaceport", "ward_code": "26743", "latitude": 200},
        headers=headers,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) >= {"name", "category", "latitude"}
    response = client.post(
        "/api/v1/venues",
        json={"name": "Xe buýt 19", "category": "vehicle", "ward_code": "26743"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"]["vehicle_plate"] == "Phương tiện cần có biển số."
    response = client.post(
        "/api/v1/venues",
        json={"name": "Chợ", "category": "market", "ward_code": "12345"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "12345" in response.json()["detail"]
    assert client.get("/api/v1/venues/not-a-uuid", headers=headers).status_code == 422


def test_suspend_and_reissue_refuse_the_old_code(
    client: TestClient, make_staff: Any, places: Any
) -> None:
    headers = make_staff("org_admin", "79")
    venue = _create(client, headers)
    token = venue["qr_url"].rsplit("/", 1)[1]
    public = client.get(f"/api/v1/venue-codes/{token}")
    assert public.status_code == 200
    assert public.json()["name"] == "Chợ Bến Thành"
    assert public.json()["category_label"] == "Chợ"

    suspended = client.post(f"/api/v1/venues/{venue['id']}/suspend", headers=headers).json()
    assert suspended["status"] == "suspended"
    closed = client.get(f"/api/v1/venue-codes/{token}")
    assert closed.status_code == 410
    assert closed.json()["code"] == "venue_suspended"
    client.post(f"/api/v1/venues/{venue['id']}/resume", headers=headers)

    reissued = client.post(f"/api/v1/venues/{venue['id']}/reissue", headers=headers).json()
    assert reissued["code_version"] == 2
    assert reissued["qr_url"] != venue["qr_url"]
    old = client.get(f"/api/v1/venue-codes/{token}", headers={"Accept-Language": "en"})
    assert old.status_code == 422
    assert old.json()["detail"] == "This QR code has been withdrawn. Scan the venue's new poster."
    new_token = reissued["qr_url"].rsplit("/", 1)[1]
    assert client.get(f"/api/v1/venue-codes/{new_token}").status_code == 200


def test_forged_truncated_and_unknown_codes(
    client: TestClient, places: Any, keyring: Keyring
) -> None:
    genuine = bytearray(b64decode(codes.make_token(keyring, number=5, code_version=1)))
    genuine[-1] ^= 0x01  # any change to the signature or body breaks it
    forged = b64encode(bytes(genuine))
    response = client.get(f"/api/v1/venue-codes/{forged}")
    assert response.status_code == 422
    assert response.json()["detail"] == "Mã không phải mã thật: chữ ký không khớp."
    unknown = codes.make_token(keyring, number=123_456, code_version=1)
    response = client.get(f"/api/v1/venue-codes/{unknown}", headers={"Accept-Language": "en"})
    assert response.json()["detail"] == "This QR code does not belong to any registered venue."
    response = client.get(f"/api/v1/venue-codes/{unknown[:-4]}")
    assert response.status_code == 422
    assert response.json()["detail"] == "Mã không đầy đủ hoặc bị hỏng."


def _pdf_images(data: bytes) -> list[Image.Image]:
    """The image XObjects of a reportlab PDF (ASCII85 + Flate, greyscale or RGB)."""
    images = []
    pattern = re.compile(rb"<<([^>]*?/Subtype /Image[^>]*?)>>\s*stream\r?\n(.*?)endstream", re.S)
    for header, stream in pattern.findall(data):
        width = int(re.search(rb"/Width (\d+)", header).group(1))  # type: ignore[union-attr]
        height = int(re.search(rb"/Height (\d+)", header).group(1))  # type: ignore[union-attr]
        raw = stream.strip()
        if b"ASCII85Decode" in header:
            raw = a85decode(raw.removesuffix(b"~>"), adobe=False)
        if b"FlateDecode" in header:
            raw = zlib.decompress(raw)
        mode = "L" if b"DeviceGray" in header else "RGB"
        images.append(Image.frombytes(mode, (width, height), raw))
    return images


def test_posters_carry_a_decodable_code(
    client: TestClient, make_staff: Any, places: Any, tmp_path: Path
) -> None:
    headers = make_staff("venue_operator", "26743")
    venue = _create(client, headers, name="Nhà hàng Phở Hòa — Pasteur", category="shop_restaurant")

    png = client.get(f"/api/v1/venues/{venue['id']}/poster.png", headers=headers)
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    # the file name tells a stack of downloaded posters apart
    disposition = png.headers["content-disposition"]
    assert disposition.startswith('inline; filename="ma-qr-nha-hang-pho-hoa-pasteur-')
    assert "filename*=UTF-8''ma-qr-nha-hang-pho-hoa-pasteur-" in disposition
    image = Image.open(io.BytesIO(png.content))
    assert decode_qr(image) == [venue["qr_url"]]

    for size in ("a4", "a5"):
        pdf = client.get(f"/api/v1/venues/{venue['id']}/poster.pdf?size={size}", headers=headers)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        assert b"DejaVuSans" in pdf.content  # the Unicode font is embedded, not Helvetica
        embedded = _pdf_images(pdf.content)
        assert decode_qr(embedded[0]) == [venue["qr_url"]]
        # and the printed page itself, rendered by poppler (make test installs poppler-utils)
        pdftoppm = shutil.which("pdftoppm")
        assert pdftoppm is not None, "pdftoppm (poppler-utils) is needed to render posters"
        target = tmp_path / f"poster-{size}.pdf"
        target.write_bytes(pdf.content)
        subprocess.run(  # noqa: S603 - fixed arguments
            [pdftoppm, "-r", "100", "-png", str(target), str(tmp_path / size)], check=True
        )
        page = Image.open(next(tmp_path.glob(f"{size}*.png")))
        assert decode_qr(page) == [venue["qr_url"]]
    assert (
        client.get(f"/api/v1/venues/{venue['id']}/poster.pdf?size=a3", headers=headers).status_code
        == 422
    )


def test_venue_of_an_organisation(client: TestClient, make_staff: Any, places: Any) -> None:
    # organisations are registered by officials (rollout); an org admin links venues to them
    ward = make_staff("ward_official", "26743")
    response = client.post(
        "/api/v1/organisations",
        json={"name": "Công ty TNHH Bến Thành", "ward_code": "26743", "tax_code": "0301234567"},
        headers=ward,
    )
    assert response.status_code == 201, response.text
    org = response.json()
    headers = make_staff("org_admin", "79")
    venue = _create(client, headers, organisation_id=org["id"])
    assert venue["organisation_id"] == org["id"]
    body = {"name": "Kho", "category": "factory", "ward_code": "26743"}
    missing = client.post(
        "/api/v1/venues",
        json={**body, "organisation_id": "5f0c6a55-0000-4000-8000-000000000000"},
        headers=headers,
    )
    assert missing.status_code == 404


def test_operator_assignment(client: TestClient, make_staff: Any, places: Any) -> None:
    admin = make_staff("org_admin", "79")
    venue = _create(client, admin)
    make_staff("venue_operator", "26743", username="cua-truoc")
    response = client.post(
        f"/api/v1/venues/{venue['id']}/operators", json={"username": "cua-truoc"}, headers=admin
    )
    assert response.status_code == 201
    response = client.post(
        f"/api/v1/venues/{venue['id']}/operators", json={"username": "nobody"}, headers=admin
    )
    assert response.status_code == 422


def test_poster_download_is_remembered_until_the_code_is_reissued(
    client: TestClient, make_staff: Any, places: Any, db: Any
) -> None:
    import uuid as uuid_module

    from epitrace.venues import service as venue_service

    headers = make_staff("venue_operator", "26743")
    venue = _create(client, headers)
    venue_id = uuid_module.UUID(venue["id"])

    def downloaded() -> bool:
        with db.session_scope() as s:
            found = venue_service.get_or_404(s, venue_id=venue_id)
            return found.poster_downloaded_at is not None

    assert not downloaded()
    assert client.get(f"/api/v1/venues/{venue_id}/poster.pdf", headers=headers).status_code == 200
    assert downloaded()
    # a new code makes the printed poster useless: it must be printed again
    assert client.post(f"/api/v1/venues/{venue_id}/reissue", headers=headers).status_code == 200
    assert not downloaded()
    assert client.get(f"/api/v1/venues/{venue_id}/poster.png", headers=headers).status_code == 200
    assert downloaded()
