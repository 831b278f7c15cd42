"""The page audit every browser test runs catches what it is meant to catch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Playwright, Route

from tests.e2e.a11y import PageAudit
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

HEAD = '<!doctype html><html lang="vi"><head><meta name="viewport" content="width=device-width">'
HEAD += "<title>Kiểm tra</title></head><body><main><h1>Trang</h1>"


@pytest.fixture
def fake_site(playwright_instance: Playwright) -> Iterator[Page]:
    """A page whose documents come from `pages`, served under http://site.test/."""
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_context(service_workers="block").new_page()

    def serve(route: Route) -> None:
        body = PAGES.get(route.request.url.removeprefix("http://site.test"), "")
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    page.route("http://site.test/**", serve)
    yield page
    browser.close()


PAGES = {
    "/clean": HEAD + "<p>Xin chào</p><a href='/wide'>Bảng</a></main></body></html>",
    "/invisible": HEAD
    + '<table><tr><td><button style="color:#fff;background:none">Cách ly</button></td></tr>'
    + "</table></main></body></html>",
    "/overflow": HEAD + '<div style="width:600px">rộng</div></main></body></html>',
    "/wide": HEAD
    + '<div style="overflow-x:auto"><table><tr><td style="min-width:900px">bảng dài</td>'
    + "</tr></table></div></main></body></html>",
    "/unnamed": HEAD + "<button></button></main></body></html>",
}


def _audit(page: Page, path: str) -> list[str]:
    audit = PageAudit()
    page.goto(f"http://site.test{path}")
    audit.check(page)
    return audit.problems


def test_a_clean_page_and_a_table_scrolling_in_its_box_pass(fake_site: Page) -> None:
    assert _audit(fake_site, "/clean") == []
    assert _audit(fake_site, "/wide") == []


def test_white_text_on_white_is_caught(fake_site: Page) -> None:
    [problem] = _audit(fake_site, "/invisible")
    assert "color-contrast" in problem


def test_a_page_wider_than_a_phone_is_caught(fake_site: Page) -> None:
    [problem] = _audit(fake_site, "/overflow")
    assert "px wide at 390 px" in problem


def test_a_button_without_a_name_is_caught(fake_site: Page) -> None:
    [problem] = _audit(fake_site, "/unnamed")
    assert "button-name" in problem


def test_pages_left_during_a_test_are_opened_again_and_checked(
    playwright_instance: Playwright,
) -> None:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        audit = PageAudit()
        context = browser.new_context(service_workers="block")
        context.route(
            "http://site.test/**",
            lambda route: route.fulfill(
                content_type="text/html; charset=utf-8",
                body=PAGES[route.request.url.removeprefix("http://site.test")],
            ),
        )
        audit.watch_context(context, None)
        page = context.new_page()
        page.goto("http://site.test/invisible")
        page.goto("http://site.test/clean")
        audit.finish([context])
        # the re-opening context has no route: serve it the same way
        browser_new_context = browser.new_context

        def routed(**options: object) -> object:
            made = browser_new_context(**options)  # type: ignore[arg-type]
            made.route(
                "http://site.test/**",
                lambda route: route.fulfill(
                    content_type="text/html; charset=utf-8",
                    body=PAGES[route.request.url.removeprefix("http://site.test")],
                ),
            )
            return made

        browser.new_context = routed  # type: ignore[assignment,method-assign]
        audit.revisit(browser)
        assert len(audit.problems) == 1
        assert "/invisible" in audit.problems[0]
    finally:
        browser.close()
