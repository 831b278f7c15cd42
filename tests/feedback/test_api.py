"""Citizen feedback through the HTTP API and the pages: send, route to the ward, answer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.errors import InvalidInput, PayloadTooLarge
from epitrace.feedback import service as feedback_service
from epitrace.security import audit


def picture(kind: str = "PNG", size: tuple[int, int] = (32, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def send(client: TestClient, headers: dict[str, str], **extra: Any) -> Any:
    data = {
        "text": "Có nhóm người tụ tập ở chợ Bến Thành",
        "category": "gathering",
        "ward_code": "26743",
    }
    data.update(extra.pop("data", {}))
    return client.post("/api/v1/feedback", data=data, headers=headers, **extra)


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_photos_are_checked_by_content(kind: str) -> None:
    photo = feedback_service.check_photo(picture(kind))
    assert photo.media_type == f"image/{kind.lower()}"


def test_non_pictures_and_large_files_are_refused() -> None:
    with pytest.raises(InvalidInput):
        feedback_service.check_photo(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    with pytest.raises(InvalidInput):
        feedback_service.check_photo(picture("GIF"))
    with pytest.raises(InvalidInput):
        feedback_service.check_photo(picture("PNG")[:40])  # truncated
    with pytest.raises(PayloadTooLarge):
        feedback_service.check_photo(b"\0" * (feedback_service.MAX_PHOTO_BYTES + 1))


def test_feedback_goes_to_the_ward_and_the_answer_back(
    client: TestClient, places: Any, citizen: Any, make_staff: Any, settings: Settings
) -> None:
    headers = citizen()
    sent = send(client, headers, files={"photo": ("cho.jpg", picture("JPEG"), "image/jpeg")})
    assert sent.status_code == 201, sent.text
    feedback = sent.json()
    assert feedback["status"] == "open" and feedback["has_photo"] is True
    stored = list((settings.uploads_dir / "feedback").iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".jpg"
    assert not str(settings.uploads_dir).startswith(str(Path(__file__).parents[2] / "src"))

    ward = make_staff("ward_official", "26743")
    other_ward = make_staff("ward_official", "26734")
    hanoi = make_staff("province_official", "01")
    assert [f["id"] for f in client.get("/api/v1/feedback", headers=ward).json()] == [
        feedback["id"]
    ]
    assert client.get("/api/v1/feedback", headers=other_ward).json() == []
    assert client.get("/api/v1/feedback?area=26743", headers=other_ward).status_code == 403
    assert client.get("/api/v1/feedback", headers=hanoi).json() == []

    photo_url = f"/api/v1/feedback/{feedback['id']}/photo"
    assert client.get(photo_url, headers=headers).content == stored[0].read_bytes()
    assert client.get(photo_url, headers=ward).headers["content-type"] == "image/jpeg"
    assert client.get(photo_url, headers=other_ward).status_code == 403
    assert client.get(photo_url, headers=citizen("0987000333")).status_code == 403
    assert client.get(photo_url).status_code == 401

    refused = client.post(
        f"/api/v1/feedback/{feedback['id']}/answer", json={"answer": "x"}, headers=other_ward
    )
    assert refused.status_code == 403
    empty = client.post(
        f"/api/v1/feedback/{feedback['id']}/answer", json={"close": True}, headers=ward
    )
    assert empty.status_code == 422
    answered = client.post(
        f"/api/v1/feedback/{feedback['id']}/answer",
        json={"answer": "Công an phường đã đến nhắc nhở."},
        headers=ward,
    )
    assert answered.json()["status"] == "answered"
    closed = client.post(
        f"/api/v1/feedback/{feedback['id']}/answer", json={"close": True}, headers=ward
    )
    assert closed.json()["status"] == "closed"
    assert closed.json()["answer"] == "Công an phường đã đến nhắc nhở."
    again = client.post(
        f"/api/v1/feedback/{feedback['id']}/answer", json={"answer": "y"}, headers=ward
    )
    assert again.status_code == 409

    mine = client.get("/api/v1/feedback/mine", headers=headers).json()
    assert [(f["status"], f["answer"]) for f in mine] == [
        ("closed", "Công an phường đã đến nhắc nhở.")
    ]
    assert client.get("/api/v1/feedback?status=open", headers=ward).json() == []


def test_bad_reports_are_refused_with_reasons(
    client: TestClient, places: Any, citizen: Any, settings: Settings
) -> None:
    headers = citizen()
    response = send(client, headers, data={"text": " ", "category": "x", "ward_code": "79"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"text", "category", "ward_code"}
    response = send(
        client, headers, files={"photo": ("a.png", b"MZ\x90\x00 not an image", "image/png")}
    )
    assert response.status_code == 422
    assert response.json()["errors"]["photo"] == "Hãy gửi ảnh JPEG, PNG hoặc WebP."
    big = b"\xff\xd8" + b"\0" * feedback_service.MAX_PHOTO_BYTES
    response = send(client, headers, files={"photo": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413
    assert not (settings.uploads_dir / "feedback").exists()
    assert client.get("/api/v1/feedback/mine", headers=headers).json() == []


def test_pages_send_and_answer(
    client: TestClient, places: Any, citizen: Any, make_staff: Any
) -> None:
    headers = citizen()
    form = client.get("/feedback", headers=headers)
    assert form.status_code == 200 and "Gửi phản ánh đến chính quyền địa phương" in form.text
    bad = client.post(
        "/feedback",
        data={"text": "", "category": "gathering", "ward_code": "26743"},
        headers=headers,
    )
    assert bad.status_code == 422 and "Hãy mô tả nội dung phản ánh." in bad.text
    sent = client.post(
        "/feedback",
        data={"text": "Cần hỗ trợ thuốc men", "category": "support", "ward_code": "26743"},
        files={"photo": ("p.png", picture(), "image/png")},
        headers=headers,
        follow_redirects=False,
    )
    assert sent.status_code == 303
    ward = make_staff("ward_official", "26743")
    inbox = client.get("/feedback/inbox", headers=ward)
    assert "Cần hỗ trợ thuốc men" in inbox.text
    feedback_id = client.get("/api/v1/feedback/mine", headers=headers).json()[0]["id"]
    done = client.post(
        f"/feedback/{feedback_id}/answer",
        data={"answer": "Trạm y tế sẽ mang thuốc đến.", "close": "yes"},
        headers=ward,
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get("/feedback", headers=headers).text
    assert "Trạm y tế sẽ mang thuốc đến." in page and "Đã đóng" in page


def test_officials_reads_are_audited(
    client: TestClient, places: Any, citizen: Any, make_staff: Any, db: Database
) -> None:
    feedback_id = send(client, citizen()).json()["id"]
    ward = make_staff("ward_official", "26743")
    assert len(client.get("/api/v1/feedback", headers=ward).json()) == 1
    assert client.get("/feedback/inbox", headers=ward).status_code == 200
    with db.session_scope() as s:
        entries, _ = audit.get_all(s, subject_type="feedback", subject_id=feedback_id)
        assert [(e.action, e.purpose) for e in entries] == [("read", "feedback.handle")] * 2
