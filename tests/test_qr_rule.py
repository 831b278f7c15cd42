"""A rule for the tests: QR codes are decoded through tests.qr.decode_qr, QR format only."""

from __future__ import annotations

import re
from pathlib import Path

BARE_READ = re.compile(r"zxingcpp\.read_barcodes?\(")


def test_no_test_decodes_barcodes_of_every_format() -> None:
    root = Path(__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "qr.py" and path != Path(__file__)
        for text in [path.read_text(encoding="utf-8")]
        for match in BARE_READ.finditer(text)
    ]
    assert offenders == [], "decode with tests.qr.decode_qr (QR only): " + ", ".join(offenders)
