"""Browser tests: a real server in a thread and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.a11y import PageAudit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free local port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests (make test installs it)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def page_audit() -> PageAudit:
    """The accessibility and phone-width findings of this test's pages."""
    return PageAudit()


@pytest.fixture
def launch(
    playwright_instance: Playwright, page_audit: PageAudit
) -> Iterator[Callable[..., Browser]]:
    """Start Chromium with extra flags (e.g. a fake camera); closed after the test.

    Every page of every context made from it is checked by `page_audit`; the test fails if any
    page it showed has a serious accessibility problem or overflows a phone's width.
    """
    browsers: list[Browser] = []

    def _launch(*extra_args: str) -> Browser:
        browser = playwright_instance.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        new_context = browser.new_context

        def _new_context(**options: Any) -> BrowserContext:
            options.setdefault("service_workers", "block")
            context = new_context(**options)
            close = context.close

            def _close(**close_options: Any) -> None:
                page_audit.finish([context])
                close(**close_options)

            context.close = _close  # type: ignore[method-assign]
            page_audit.watch_context(context, options.get("locale"))
            return context

        browser.new_context = _new_context  # type: ignore[method-assign]
        browsers.append(browser)
        return browser

    yield _launch
    try:
        page_audit.finish([c for b in browsers for c in b.contexts])
        if browsers:
            page_audit.revisit(browsers[0])
    finally:
        for browser in browsers:
            browser.close()
    page_audit.assert_clean()


@pytest.fixture
def page(launch: Callable[..., Browser], live_server: str) -> Iterator[Page]:
    browser = launch()
    context = browser.new_context(base_url=live_server, locale="vi-VN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def write_y4m(
    image: Image.Image, path: Path, *, frames: int = 20, size: tuple[int, int] = (640, 480)
) -> Path:
    """A Y4M video (for Chromium's fake camera) showing `image` centred on white."""
    width, height = size
    canvas = Image.new("L", size, 255)
    picture = image.convert("L")
    picture.thumbnail((height - 40, height - 40))
    canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def fake_camera_args(y4m: Path) -> list[str]:
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]


PHONE = {"width": 390, "height": 844}


def staff_page(browser: Browser, live_server: str, username: str, *, phone: bool = False) -> Page:
    """A page of its own (a new context, in Vietnamese, phone-sized if asked) signed in as a
    staff account made by `tests.factories.staff`."""
    from tests import factories

    options: dict[str, Any] = {"base_url": live_server, "locale": "vi-VN"}
    if phone:
        options["viewport"] = PHONE
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(15_000)
    sign_in_staff(page, username, factories.STAFF_PASSWORD)
    return page


def sign_in_staff(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff")


def sign_in_citizen(
    page: Page, sms_messages: Callable[[], list[dict[str, Any]]], phone: str, next_path: str = ""
) -> None:
    page.goto("/signin" + (f"?next={next_path}" if next_path else ""))
    page.fill("#phone", phone)
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    text = sms_messages()[-1]["text"]
    code = next(w.rstrip(",") for w in text.split() if w.rstrip(",").isdigit())
    page.fill("#code", code)
    page.click("button[type=submit]")
