"""Unit names as people type them: without diacritics, in any case, with extra spaces.

"ben thanh" finds "Phường Bến Thành"; "đà nẵng" and "Da Nang" are the same. Pure functions, no
database: the service keeps an index of folded names per loaded hierarchy.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), single spaces: the form names are compared in."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace(",", " , ").split()).replace(" , ", ", ")


def tokens(text: str) -> list[str]:
    """The words of a query, folded; commas and dashes separate words too."""
    cleaned = fold(text).replace(",", " ").replace("—", " ").replace("-", " ")
    return cleaned.split()


def matches(query_tokens: list[str], folded_text: str) -> bool:
    """Every word of the query appears in the text."""
    return all(token in folded_text for token in query_tokens)
