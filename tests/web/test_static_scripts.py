"""Rules of the site's own scripts (not the vendored libraries)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "src" / "epitrace" / "web" / "static"
DECLARATION = re.compile(r"\bfunction\s+([A-Za-z_$][\w$]*)\s*\(")


def test_no_script_declares_a_function_name_twice() -> None:
    """A second `function keep(…)` in a script silently replaces the first for every caller
    (two features merged into scan.js once did this, and the escrow check-in lost its close
    tokens to the on-device visit keeper). Each name is declared once per file."""
    scripts = [p for p in STATIC.rglob("*.js") if "vendor" not in p.parts]
    assert len(scripts) > 5
    twice = {
        str(path.relative_to(STATIC)): sorted(
            name
            for name, n in Counter(DECLARATION.findall(path.read_text("utf-8"))).items()
            if n > 1
        )
        for path in scripts
    }
    assert {path: names for path, names in twice.items() if names} == {}
