"""Names folded for search: "Phường Bến Thành" and "phuong ben thanh" are the same to a search.

Pure code: lower case, Vietnamese diacritics and the letter đ removed, spaces collapsed.
"""

from __future__ import annotations

import unicodedata

# "đ" and "Đ" are letters of their own, not a "d" with a combining mark: NFD keeps them.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """`"  Nguyễn  Văn Đức "` → `"nguyen van duc"`."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_LETTERS))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.lower().split())
