"""The API docs work in a browser with no network: Swagger UI comes from the package.

Every request the page makes is watched; one to another host fails the test, and so does a
Content-Security-Policy violation (the initialiser is an external script, never inline).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Route, expect

from tests.e2e.a11y import PageAudit


def test_api_docs_list_and_expand_operations_offline(
    launch: Callable[..., Browser], live_server: str, page_audit: PageAudit
) -> None:
    browser = launch()
    context = browser.new_context(base_url=live_server, locale="vi-VN")
    own_host = urlsplit(live_server).netloc
    outside: list[str] = []
    problems: list[str] = []

    def only_own_host(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_own_host)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto("/docs")
    assert response is not None and response.status == 200
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert page.locator("h1").first.inner_text() == "Tài liệu API"

    # the operations listed by tag, each tag folded until opened (150 operations unfolded at
    # once stopped rendering after the second tag in Chromium, with no error in the page)
    tags = page.locator(".opblock-tag")
    # every domain's tag; the first document of a process is built from the source (seconds
    # on a busy machine)
    expect(tags.nth(12)).to_be_attached(timeout=30_000)
    page.locator(".opblock-tag", has_text="rollout").first.click()
    expect(page.locator(".opblock").nth(29)).to_be_attached()
    page.locator(".opblock-tag", has_text="accounts").first.click()
    expect(page.locator("#operations-accounts-request_code_api_v1_auth_otp_post")).to_be_visible()

    # expanding one shows its parameters and its documented error responses
    summary = page.locator(
        "#operations-accounts-request_code_api_v1_auth_otp_post .opblock-summary"
    )
    summary.locator("button").first.click()
    body = page.locator("#operations-accounts-request_code_api_v1_auth_otp_post .opblock-body")
    body.wait_for()
    responses = body.locator(".responses-table .response-col_status")
    assert {"202", "422", "429"} <= {s.strip() for s in responses.all_inner_texts()}
    assert "application/problem+json" in body.inner_text()
    page_audit.check(page)

    assert not outside, f"the docs page reached outside the server: {outside}"
    assert not problems, f"errors in the page: {problems}"
    context.close()
