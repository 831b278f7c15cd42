"""A refused form sends the browser back to the form's page with the reasons, not to a bare page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_refused_form_goes_back_to_its_page_with_reasons(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    client.get("/me", headers=headers)
    base = str(client.base_url)
    refused = client.post(
        "/me/profile",
        headers={**headers, "Referer": f"{base}/me"},
        data={"full_name": "Nguyễn Thị Mai", "birth_year": "2099"},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert refused.headers["location"] == "/me"
    page = client.get("/me", headers=headers)
    assert 'data-form-error-for="/me/profile"' in page.text
    assert 'data-field-error="birth_year"' in page.text
    assert "1900" in page.text  # the reason, in Vietnamese
    assert "Hãy sửa các giá trị được đánh dấu" in page.text  # and what to do next
    # shown once
    assert "data-form-error-for" not in client.get("/me", headers=headers).text


def test_forbidden_action_explains_the_next_step(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    headers = make_staff("health_officer", "01")
    base = str(client.base_url)
    response = client.post(
        "/venues",
        headers={**headers, "Referer": f"{base}/venues"},
        data={"name": "Chợ", "category": "market", "ward_code": "26743"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "quản trị viên địa bàn" in response.text


def test_without_a_same_site_referer_the_error_page_is_shown(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    for referer in (None, "https://evil.example/me", "//evil.example/me"):
        extra = {"Referer": referer} if referer else {}
        response = client.post(
            "/me/profile",
            headers={**headers, **extra},
            data={"full_name": "Mai", "birth_year": "2099"},
            follow_redirects=False,
        )
        assert response.status_code == 422, referer
        assert 'data-field-error="birth_year"' in response.text
        assert "Hãy quay lại" in response.text
