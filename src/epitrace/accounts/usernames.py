"""The one spelling of a staff username: used to store it, to look it up and to count sign-ins.

Pure code. Two spellings a person would call the same name (padding, case, composed or
decomposed accents) give one key, so no spelling gets its own sign-in attempts.
"""

from __future__ import annotations

import re
import unicodedata

from epitrace.errors import N_

MAX_LENGTH = 80

# Whitespace of any script (str.isspace: tabs, no-break and ideographic spaces…) and the
# invisible format characters that paste along with a name (zero-width spaces and joiners,
# word joiner, byte-order mark).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = re.compile(rf"^[\s{_INVISIBLE}]+|[\s{_INVISIBLE}]+$")
_INSIDE = re.compile(rf"[\s{_INVISIBLE}]")


def normalise(raw: str) -> str:
    """Strip, case-fold and compose: `' Ward2\\t'`, `'WARD2'` and `'ward2'` are one name."""
    composed = unicodedata.normalize("NFC", raw)
    trimmed = _EDGES.sub("", composed)
    return unicodedata.normalize("NFC", trimmed.casefold())


def problem(name: str) -> str | None:
    """Why a normalised name cannot be a new username (a msgid), or None."""
    if not name:
        return N_("A username is required.")
    if len(name) > MAX_LENGTH:
        return N_("A username has at most 80 characters.")
    if _INSIDE.search(name) or any(unicodedata.category(c).startswith("C") for c in name):
        return N_("A username has no spaces or invisible characters.")
    return None
