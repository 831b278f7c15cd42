"""HTTP edges: 405 names the allowed methods; malformed bodies get the user's language."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def test_method_not_allowed_names_the_allowed_methods(client: TestClient) -> None:
    api = client.delete("/api/v1/places")
    assert api.status_code == 405
    assert api.headers["content-type"] == PROBLEM
    assert api.headers["allow"] == "GET"
    # two routes serve /login (the form and its post): both methods are named
    page = client.put("/login")
    assert page.status_code == 405
    assert page.headers["allow"] == "GET, POST"
    assert "Phương thức này không được phép ở đây." in page.text


# (body, content type, Vietnamese reason, English reason, status)
MALFORMED = {
    "bad JSON": (
        b'{"phone": ',
        "application/json",
        "Nội dung yêu cầu không phải JSON hợp lệ.",
        "The request body is not valid JSON.",
        422,
    ),
    "wrong content type": (
        b'{"phone": "0912345678"}',
        "text/plain",
        "Hãy gửi nội dung dạng JSON, với tiêu đề Content-Type: application/json.",
        "Send the body as JSON, with the header Content-Type: application/json.",
        422,
    ),
    "invalid UTF-8": (
        b'{"phone": "09\xff\xfe"}',
        "application/json",
        "Yêu cầu không phải văn bản UTF-8 hợp lệ.",
        "The request is not valid UTF-8 text.",
        400,
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_bodies_are_problems_in_the_users_language(client: TestClient, case: str) -> None:
    body, content_type, vietnamese, english, status = MALFORMED[case]
    for language, reason in ((None, vietnamese), ("en-GB,en;q=0.8", english), ("fr", vietnamese)):
        headers = {"Content-Type": content_type}
        if language:
            headers["Accept-Language"] = language
        response = client.post("/api/v1/auth/otp", content=body, headers=headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == status
        assert reason in (problem["detail"], *problem.get("errors", {}).values()), problem


def test_an_unreadable_multipart_body_is_a_problem_in_vietnamese(client: TestClient) -> None:
    response = client.post(
        "/api/v1/feedback",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno end",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "Không đọc được nội dung yêu cầu."


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({"content": b"full_name=B%C3%A0%FF+N%E1%BB%99i"}, id="percent-encoded"),
        pytest.param({"content": b"full_name=B\xe0\xff"}, id="raw bytes"),
        pytest.param(
            {"files": {"full_name": (None, b"B\xe0 N\xff", "text/plain")}}, id="multipart field"
        ),
    ],
)
def test_a_form_post_that_is_not_utf8_is_refused_and_stores_nothing(
    client: TestClient, citizen: Any, form: dict[str, Any]
) -> None:
    headers = citizen()
    if "content" in form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = client.post("/me/dependents", headers=headers, follow_redirects=False, **form)
    assert response.status_code == 400
    assert "Yêu cầu không phải văn bản UTF-8 hợp lệ." in response.text
    assert client.get("/api/v1/me/dependents", headers=headers).json() == []


def test_binary_uploads_and_utf8_forms_still_pass(client: TestClient, citizen: Any) -> None:
    headers = citizen()
    response = client.post(
        "/me/dependents",
        headers=headers,
        data={"full_name": "Bà Nội"},
        files={"photo": ("ảnh.png", b"\x89PNG\xff\xfe\x00", "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    names = [p["full_name"] for p in client.get("/api/v1/me/dependents", headers=headers).json()]
    assert names == ["Bà Nội"]
