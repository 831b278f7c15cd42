"""GSM-7 / UCS-2 preparation and segment counting: what is billed is what is sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from epitrace.alerts import sms_text


def test_vietnamese_loses_its_diacritics_in_gsm7() -> None:
    prepared = sms_text.prepare("Bộ Y tế: Đề nghị khai báo y tế — “ngay”")
    assert prepared.text == 'Bo Y te: De nghi khai bao y te - "ngay"'
    assert prepared.encoding == "gsm7"
    assert prepared.segments == 1


def test_ucs2_keeps_the_text_and_holds_70_units() -> None:
    text = "Bộ Y tế đề nghị " * 5  # 80 characters
    prepared = sms_text.prepare(text, ucs2=True)
    assert prepared.text == text
    assert prepared.encoding == "ucs2"
    assert prepared.segments == 2
    assert [len(p) for p in prepared.parts] == [67, 13]


def test_segment_boundaries() -> None:
    assert sms_text.prepare("a" * 160).segments == 1
    assert sms_text.prepare("a" * 161).segments == 2
    assert sms_text.prepare("a" * 306).segments == 2
    assert sms_text.prepare("a" * 307).segments == 3
    # extension characters take two septets
    assert sms_text.prepare("{" * 80).segments == 1
    assert sms_text.prepare("{" * 81).segments == 2
    assert sms_text.estimate("a" * 161, ucs2=False, price_per_segment=800) == (2, 1600)


@given(st.text(max_size=600))
def test_parts_are_the_text_and_each_fits_its_segment(text: str) -> None:
    for ucs2 in (False, True):
        prepared = sms_text.prepare(text, ucs2=ucs2)
        assert "".join(prepared.parts) == prepared.text
        if not ucs2:
            assert sms_text.is_gsm7(prepared.text)
        width = (
            (lambda c: 2 if c in sms_text.GSM7_EXTENSION else 1)
            if not ucs2
            else (lambda c: 2 if ord(c) > 0xFFFF else 1)
        )
        single, part = (70, 67) if ucs2 else (160, 153)
        if prepared.segments == 1:
            assert sum(width(c) for c in prepared.text) <= single
        else:
            assert all(sum(width(c) for c in p) <= part for p in prepared.parts)
            # no part could have held the next one's first character
            for before, after in zip(prepared.parts, prepared.parts[1:], strict=False):
                assert sum(width(c) for c in before) + width(after[0]) > part
