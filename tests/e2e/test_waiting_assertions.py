"""A rule for the browser tests: assertions about what a page shows wait for it.

`assert locator.is_visible()` reads the page once, at once; after a click that opens another
page it can read the old one. It made the exposure test fail now and then on a loaded machine.
Playwright's `expect(locator).to_be_visible()` waits (up to the timeout) instead.
"""

from __future__ import annotations

import re
from pathlib import Path

NOT_WAITING = re.compile(r"^\s*assert\b.*\.is_visible\(\)", re.MULTILINE)


def test_no_browser_test_asserts_visibility_without_waiting() -> None:
    offenders = [
        f"{path.name}:{text.count(chr(10), 0, match.start()) + 1}"
        for path in sorted(Path(__file__).parent.glob("*.py"))
        if path.name != Path(__file__).name
        for text in [path.read_text(encoding="utf-8")]
        for match in NOT_WAITING.finditer(text)
    ]
    assert offenders == [], "use expect(locator).to_be_visible(): " + ", ".join(offenders)
