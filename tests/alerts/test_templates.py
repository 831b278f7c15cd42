"""Templates: every placeholder declared, translations keep the placeholders, and officials'
texts with unknown or malformed placeholders are refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace.alerts import templates
from epitrace.errors import InvalidInput
from epitrace.web import i18n

FIELD = re.compile(r"%\((\w+)\)s")


def test_every_template_renders_in_both_languages_with_its_placeholders() -> None:
    assert {t.key for t in templates.all_templates()} >= {
        "notice",
        "otp",
        "contact_alert_f1",
        "contact_alert_f2",
        "venue_alert",
        "symptom_reminder",
        "declaration_reminder",
        "quarantine_ordered",
        "feedback_answered",
    }
    for template in templates.all_templates():
        for text in (template.title, template.body, template.sms or ""):
            vi = i18n.translations("vi").ugettext(text)
            assert vi != text or text.startswith("%("), f"{template.key}: untranslated"
            assert set(FIELD.findall(vi)) == set(FIELD.findall(text)), template.key
        params = {name: f"<{name}>" for name in template.params}
        for code in ("vi", "en"):
            out = templates.render(
                template, params, locale_code=code, base_url="https://e.vn", brand="BYT"
            )
            assert "%(" not in out.title + out.body + out.sms


def test_undeclared_placeholder_is_refused_at_registration() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        templates.register(
            templates.Template(key="x", kind="x", title="Hi %(name)s", body="b", params=())
        )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Xin chào {ten}", "unknown_placeholder"),
        ("Xin chào {name!r}", "unknown_placeholder"),
        ("Xin chào {name:>10}", "unknown_placeholder"),
        ("Xin chào {0}", "unknown_placeholder"),
        ("Xin chào {name", "bad_placeholder"),
        ("Xin chào name}", "bad_placeholder"),
    ],
)
def test_campaign_text_with_a_bad_placeholder_is_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        templates.check_campaign_text(text)
    assert info.value.code == code


def test_campaign_text_renders_known_placeholders() -> None:
    text = "Chào {name}, phường {ward}: cài ứng dụng tại {link} {{không phải ô}}"
    templates.check_campaign_text(text)
    out = templates.render_campaign_text(text, {"name": "An", "ward": "Bến Thành", "link": "x"})
    assert out == "Chào An, phường Bến Thành: cài ứng dụng tại x {không phải ô}"


@given(st.text(max_size=200))
def test_any_text_is_either_refused_cleanly_or_renders(text: str) -> None:
    try:
        templates.check_campaign_text(text)
    except InvalidInput:
        return
    templates.render_campaign_text(text, {})
