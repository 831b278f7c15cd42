"""Volumes of feedback: reports and photos per account per local day, and photo size."""

from __future__ import annotations

import io
import os
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from epitrace.config import Settings
from tests.feedback.test_api import picture, send


def noisy_png(side: int = 200) -> bytes:
    """A PNG that does not compress: about 3 bytes per pixel."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_reports_per_day_are_limited(
    app: FastAPI, client: TestClient, places: Any, citizen: Any
) -> None:
    app.state.settings.limit_feedback_per_day = 2
    me = citizen()
    assert [send(client, me).status_code for _ in range(2)] == [201, 201]
    refused = send(client, me)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert refused.json()["detail"] == "Hôm nay bạn đã gửi 2 phản ánh, số tối đa trong một ngày."
    english = send(client, {**me, "Accept-Language": "en"})
    assert english.json()["detail"] == "You have sent 2 reports today, the most for one day."
    assert len(client.get("/api/v1/feedback/mine", headers=me).json()) == 2
    # Another citizen has their own quota.
    assert send(client, citizen("0987000777")).status_code == 201


def test_photos_per_day_are_limited_but_reports_without_one_go_through(
    app: FastAPI, client: TestClient, places: Any, citizen: Any, settings: Settings
) -> None:
    app.state.settings.limit_feedback_photos_per_day = 1
    me = citizen()
    photo = {"photo": ("a.png", picture(), "image/png")}
    assert send(client, me, files=photo).status_code == 201
    refused = send(client, me, files={"photo": ("b.png", picture(), "image/png")})
    assert refused.status_code == 429
    assert refused.json()["errors"]["photo"] == "Hôm nay không thể gửi thêm ảnh."
    assert len(list((settings.uploads_dir / "feedback").iterdir())) == 1  # nothing written
    assert send(client, me).status_code == 201


def test_photo_size_follows_the_setting(
    app: FastAPI, client: TestClient, places: Any, citizen: Any
) -> None:
    app.state.settings.limit_photo_bytes = 64 * 1024
    me = citizen()
    big = noisy_png()
    assert len(big) > 64 * 1024
    refused = send(client, me, files={"photo": ("big.png", big, "image/png")})
    assert refused.status_code == 413
    assert refused.json()["detail"] == "Ảnh lớn hơn 0.0625 MB."
    page = client.get("/feedback", headers=me)
    assert "tối đa 0.0625 MB" in page.text


def test_the_page_keeps_the_text_when_over_the_limit(
    app: FastAPI, client: TestClient, places: Any, citizen: Any
) -> None:
    app.state.settings.limit_feedback_per_day = 1
    me = citizen()
    assert send(client, me).status_code == 201
    typed = "Nhóm người tụ tập đông ở công viên <b>"
    refused = client.post(
        "/feedback",
        data={"text": typed, "category": "gathering", "ward_code": "26743"},
        headers=me,
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Hôm nay bạn đã gửi 1 phản ánh" in refused.text
    assert "Nhóm người tụ tập đông ở công viên &lt;b&gt;" in refused.text
