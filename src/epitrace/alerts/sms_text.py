"""SMS text: GSM-7 without diacritics by default, UCS-2 when asked; segments and their cost.

Operators bill per segment. A GSM-7 message holds 160 septets (153 per part once split, the
rest is the concatenation header); the characters of the extension table (`^{}\\[~]|€`) take
two septets and are never split from their escape. UCS-2 holds 70 UTF-16 units (67 per
part), and a surrogate pair is never split. Vietnamese loses its diacritics in GSM-7
("Bộ Y tế" → "Bo Y te"); other characters are transliterated (anyascii) and what GSM-7
still cannot carry becomes "?". The SMS adapters send `parts` as they are; the campaign
preview shows `segments` and `cost` from the same function, so the estimate is what is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from anyascii import anyascii

# 3GPP TS 23.038 default alphabet (basic table) and the characters of its extension table
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
SINGLE_GSM7, PART_GSM7 = 160, 153
SINGLE_UCS2, PART_UCS2 = 70, 67
# where anyascii's ASCII still falls outside GSM-7
_ASCII_FIXES = {"`": "'"}

Encoding = Literal["gsm7", "ucs2"]


@dataclass(frozen=True)
class SmsText:
    text: str  # what is sent (transliterated for GSM-7)
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: tuple[str, ...]  # the text of each segment

    @property
    def segments(self) -> int:
        return len(self.parts)

    def cost(self, price_per_segment: int) -> int:
        return self.segments * price_per_segment


def _septets(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def to_gsm7(text: str) -> str:
    """The text in the GSM-7 alphabet: diacritics dropped, the rest transliterated or '?'."""
    out: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
            continue
        for transliterated in anyascii(char) or "?":
            ascii_char = _ASCII_FIXES.get(transliterated, transliterated)
            if ascii_char in GSM7_BASIC or ascii_char in GSM7_EXTENSION:
                out.append(ascii_char)
            else:
                out.append("?")
    return "".join(out)


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _split(text: str, width: Callable[[str], int], single: int, part: int) -> tuple[str, ...]:
    if sum(width(c) for c in text) <= single:
        return (text,)
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        if used + width(char) > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += width(char)
    parts.append("".join(current))
    return tuple(parts)


def prepare(text: str, *, ucs2: bool = False) -> SmsText:
    """The text as it will be sent, its encoding, size and segments."""
    if ucs2:
        units = sum(_utf16_units(c) for c in text)
        return SmsText(text, "ucs2", units, _split(text, _utf16_units, SINGLE_UCS2, PART_UCS2))
    sent = to_gsm7(text)
    units = sum(_septets(c) for c in sent)
    return SmsText(sent, "gsm7", units, _split(sent, _septets, SINGLE_GSM7, PART_GSM7))


def estimate(text: str, *, ucs2: bool, price_per_segment: int) -> tuple[int, int]:
    """(segments, cost in đồng) of one message."""
    prepared = prepare(text, ucs2=ucs2)
    return prepared.segments, prepared.cost(price_per_segment)
