"""Anonymous visitors go to the sign-in that fits the page and come back to it afterwards;
no `next` value can send a browser to another site."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from epitrace.web.redirects import is_local_path, safe_next, sign_in_url
from tests import factories

CITIZEN_PAGES = ["/me", "/pass", "/declare", "/declarations/mine", "/me/exposure"]
STAFF_PAGES = [
    "/staff",
    "/admin/users",
    "/admin/audit",
    "/cases",
    "/venues",
    "/tracing",
    "/rollout",
    "/people",
    "/quarantine",
    "/checkins/counts",
    "/declarations/review",
    "/exposure/codes",
    "/feedback/inbox",
]


@pytest.mark.parametrize(
    ("path", "page"),
    [(p, "/signin") for p in CITIZEN_PAGES] + [(p, "/login") for p in STAFF_PAGES],
)
def test_anonymous_visitors_are_sent_to_the_fitting_sign_in(
    client: TestClient, path: str, page: str
) -> None:
    response = client.get(path + "?tab=1", follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location == f"{page}?next={path}%3Ftab%3D1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "",
        "me",
        " /me",
        "/" + "a" * 400,
    ],
)
def test_next_values_that_could_leave_the_site_are_refused(target: str) -> None:
    assert not is_local_path(target)
    assert safe_next(target, "/staff") == "/staff"


@pytest.mark.parametrize("target", ["/", "/me", "/cases/1?tab=trace#f1", "/places/79"])
def test_paths_of_the_site_are_kept(target: str) -> None:
    assert safe_next(target, "/staff") == target


BASE = "https://epitrace.example.vn/some/page"
# what browsers ignore or fold when they resolve a Location (WHATWG URL parser)
_BROWSER_STRIPPED = {"\t", "\n", "\r"}


_PIECES = st.sampled_from([*"/\\:.@?#%abc- \t\n\r", "evil", "http", "https:", "//", "%2F"])


@given(st.lists(_PIECES, max_size=20).map("".join) | st.text(max_size=40))
def test_no_accepted_next_leaves_the_site(target: str) -> None:
    chosen = safe_next(target, "/")
    # browsers drop tabs and newlines and read backslashes as slashes before resolving
    as_browser = "".join(ch for ch in chosen if ch not in _BROWSER_STRIPPED).replace("\\", "/")
    resolved = urlsplit(urljoin(BASE, as_browser))
    assert (resolved.scheme, resolved.netloc) == ("https", "epitrace.example.vn")
    assert chosen.startswith("/") and not chosen.startswith("//")


@given(st.text(max_size=60))
def test_sign_in_urls_stay_on_the_site(target: str) -> None:
    url = sign_in_url("/login", target)
    assert url == "/login" or url.startswith("/login?next=/")
    assert urlsplit(urljoin(BASE, url)).netloc == "epitrace.example.vn"


def test_sign_in_returns_to_next_only_when_it_is_local(
    client: TestClient, db: Any, places: Any
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="bs-quay-lai", role="health_officer", area="79")
    page = client.get("/login?next=//evil.example")
    assert 'name="next" value=""' in page.text
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    csrf = page.text[start : page.text.index('"', start)]
    for target, expected in (("https://evil.example", "/staff"), ("/cases?x=1", "/cases?x=1")):
        client.post("/logout", data={"csrf_token": csrf})
        csrf = _csrf(client)
        response = client.post(
            "/login",
            data={
                "username": "bs-quay-lai",
                "password": factories.STAFF_PASSWORD,
                "next": target,
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == expected
        csrf = _csrf(client, "/staff")
    assert (
        client.get("/lang/en?next=/\\evil.example", follow_redirects=False).headers["location"]
        == "/"
    )


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]
