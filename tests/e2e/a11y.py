"""Every page a browser test shows is checked: axe-core (serious and critical findings, and
invisible text) and no horizontal overflow at phone width.

While the test runs, every page it loads is only recorded (address and cookies), so the checks
never race the test's own clicks. When the test ends, the pages still open are checked as the
test left them (filled forms, results of scripts, answers to posted forms), then every other
address that was loaded with GET is opened again with the cookies it had then, in a window of a
phone's width, and checked. Tests may also call `PageAudit.check(page)` at a step worth checking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Request
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE_WIDTH = 390
PHONE_HEIGHT = 844
FAILING_IMPACTS = frozenset({"serious", "critical"})

# Runs axe on the whole document; the page's CSP does not apply to evaluated code.
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations', 'incomplete']});
  const pick = (items) => items.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      target: node.target.join(' '),
      html: node.html.slice(0, 160),
      impact: node.impact,
      keys: [...node.any, ...node.all, ...node.none].map(
        (check) => (check.data && check.data.messageKey) || ''),
    })),
  }));
  return {violations: pick(result.violations), incomplete: pick(result.incomplete)};
}"""

# The width of the document after the layout has settled, and the widest elements past the edge.
_MEASURE_WIDTH = """(limit) => new Promise((resolve) => requestAnimationFrame(() => {
  const width = document.documentElement.scrollWidth;
  const wide = [];
  if (width > limit) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right > limit + 1 && getComputedStyle(el).position !== 'fixed') {
        let inScroller = false;
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
          const overflow = getComputedStyle(up).overflowX;
          if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') {
            inScroller = true;
            break;
          }
        }
        if (!inScroller) {
          wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                    (el.className && typeof el.className === 'string' ?
                     '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                    ' right=' + Math.round(box.right));
        }
      }
      if (wide.length >= 5) { break; }
    }
  }
  resolve({width, wide});
}))"""

_FINGERPRINT = "() => location.href + '#' + document.body.innerHTML.length"


@dataclass(frozen=True)
class Visit:
    url: str
    cookies: tuple[Any, ...]
    locale: str | None


@dataclass
class PageAudit:
    """Findings of the checks of one test, reported together when the test ends."""

    problems: list[str] = field(default_factory=list)
    visits: dict[str, Visit] = field(default_factory=dict, repr=False)
    checked: set[str] = field(default_factory=set, repr=False)
    pages_checked: int = 0
    _axe_source: str = field(default="", repr=False)

    def axe_source(self) -> str:
        if not self._axe_source:
            if not AXE_JS.exists():
                raise RuntimeError(f"{AXE_JS} is missing: `make setup-test` installs axe-core")
            self._axe_source = AXE_JS.read_text(encoding="utf-8")
        return self._axe_source

    def watch_context(self, context: BrowserContext, locale: str | None) -> None:
        for existing in context.pages:
            self.watch_page(existing, locale)
        context.on("page", lambda page: self.watch_page(page, locale))

    def watch_page(self, page: Page, locale: str | None) -> None:
        methods: dict[str, str] = {}

        def on_request(request: Request) -> None:
            if request.is_navigation_request() and request.frame == page.main_frame:
                methods[request.url] = request.method

        def on_load(loaded: Page) -> None:
            url = loaded.url
            if url.startswith("http") and methods.get(url, "GET") == "GET":
                cookies = tuple(loaded.context.cookies())
                self.visits[url] = Visit(url, cookies, locale)

        page.on("request", on_request)
        page.on("load", on_load)

    def check(self, page: Page) -> None:
        """Checks the document the page shows now (once per address and content length)."""
        if page.is_closed() or not page.url.startswith("http"):
            return
        try:
            fingerprint = page.evaluate(_FINGERPRINT)
            if fingerprint in self.checked:
                return
            self.checked.add(fingerprint)
            self._check_axe(page)
            self._check_phone_width(page)
            self.pages_checked += 1
        except PlaywrightError as exc:
            if "closed" in str(exc) or "destroyed" in str(exc):
                return  # the page went away under the check
            raise

    def _check_axe(self, page: Page) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated code is not subject to the page's Content-Security-Policy.
            page.evaluate("() => {\n" + self.axe_source() + "\n}")
        result: dict[str, Any] = page.evaluate(_RUN_AXE)
        url = page.url
        for rule in result["violations"]:
            if rule["impact"] in FAILING_IMPACTS:
                self._report(url, rule, rule["nodes"])
        for rule in result["incomplete"]:
            if rule["id"] != "color-contrast":
                continue
            # axe files text as invisible as its background (1:1) under "incomplete", and so
            # are buttons and links whose background it could not work out: both must be clear.
            unclear = [
                n
                for n in rule["nodes"]
                if "equalRatio" in n["keys"] or n["html"].startswith(("<button", "<a "))
            ]
            if unclear:
                help_text = "contrast of text as light as its background, or not measurable"
                self._report(url, {**rule, "help": help_text}, unclear)

    def _check_phone_width(self, page: Page) -> None:
        size = page.viewport_size
        if size is None or size["width"] != PHONE_WIDTH:
            page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
        try:
            measured: dict[str, Any] = page.evaluate(_MEASURE_WIDTH, PHONE_WIDTH)
        finally:
            if size is not None and size["width"] != PHONE_WIDTH:
                page.set_viewport_size(size)
        if measured["width"] > PHONE_WIDTH:
            self.problems.append(
                f"{page.url}: {measured['width']} px wide at {PHONE_WIDTH} px "
                f"(past the edge: {', '.join(measured['wide']) or '?'})"
            )

    def _report(self, url: str, rule: dict[str, Any], nodes: list[dict[str, Any]]) -> None:
        where = "; ".join(f"{n['target']} {n['html']}" for n in nodes[:4])
        self.problems.append(f"{url}: {rule['id']} ({rule['impact']}) {rule['help']}: {where}")

    def finish(self, contexts: list[BrowserContext]) -> None:
        """Checks the pages still open as the test left them."""
        for context in contexts:
            for page in context.pages:
                self.check(page)

    def revisit(self, browser: Browser) -> None:
        """Opens every other address the test loaded, at phone width, and checks it."""
        shown = {c.split("#", 1)[0] for c in self.checked}
        pending = [v for url, v in self.visits.items() if url not in shown]
        if not pending:
            return
        context = browser.new_context(
            viewport={"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
            locale=pending[0].locale,
            service_workers="block",
        )
        try:
            page = context.new_page()
            for visit in pending:
                context.clear_cookies()
                if visit.cookies:
                    context.add_cookies(list(visit.cookies))
                try:
                    response = page.goto(visit.url)
                except PlaywrightError:
                    continue  # a download, or a page that is gone
                content_type = response.headers.get("content-type", "") if response else ""
                if content_type.startswith("text/html"):
                    self.check(page)
        finally:
            context.close()

    def assert_clean(self) -> None:
        if self.problems:
            lines = "\n  ".join(dict.fromkeys(self.problems))
            raise AssertionError(f"accessibility or layout problems on visited pages:\n  {lines}")
