"""Message templates: a registry of the kinds of message the system sends, and rendering.

Built-in templates use gettext msgids with `%(name)s` placeholders (translated per recipient);
campaign texts written by officials use `{name}` placeholders. An unknown or malformed
placeholder is refused when the template is registered or the campaign saved, never at
sending time. No database here.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from epitrace import localtime
from epitrace.domains import domain_modules
from epitrace.errors import N_, InvalidInput
from epitrace.web import i18n

# Filled in by the renderer for every template: the absolute link and the sender's name.
AUTOMATIC_PARAMS = frozenset({"url", "brand"})
_PERCENT_FIELD = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Template:
    """One kind of message. Texts are English msgids, translated for each recipient."""

    key: str
    kind: str  # what the dashboard groups by: contact_alert, campaign, reminder, ...
    title: str
    body: str  # inbox, push and e-mail text
    sms: str | None = None  # SMS / OTT text (short); None: the body
    link: str | None = None  # path inside the site, may hold %(name)s
    params: tuple[str, ...] = ()
    urgent: bool = False  # may go out during quiet hours
    ignore_opt_out: bool = False  # reaches numbers that opted out (one-time codes only)
    sensitive: bool = False  # parameters are erased once the message is final
    priority: int = 5  # 0 = most urgent

    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for text in (self.title, self.body, self.sms or "", self.link or ""):
            found |= set(_PERCENT_FIELD.findall(text))
        return found

    def check(self) -> None:
        unknown = self.placeholders() - set(self.params) - AUTOMATIC_PARAMS
        if unknown:
            raise ValueError(f"template {self.key} uses undeclared parameters {sorted(unknown)}")


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str
    link: str | None  # path
    url: str | None  # absolute


_REGISTRY: dict[str, Template] = {}


def register(*templates: Template) -> None:
    for template in templates:
        template.check()
        _REGISTRY[template.key] = template


def _load() -> None:
    if _REGISTRY.get("notice") is not None:
        return
    for module in domain_modules("notices"):
        register(*getattr(module, "TEMPLATES", []))


def get(key: str) -> Template:
    _load()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise InvalidInput(
            N_("There is no message template %(key)s."), params={"key": key}
        ) from None


def all_templates() -> list[Template]:
    _load()
    return sorted(_REGISTRY.values(), key=lambda t: t.key)


@contextmanager
def locale(code: str) -> Iterator[None]:
    """Render in the recipient's language, whatever the current request speaks."""
    before = i18n.get_locale()
    i18n.set_locale(code)
    try:
        yield
    finally:
        i18n.set_locale(before)


def format_param(value: Any) -> str:
    if isinstance(value, datetime):
        return localtime.to_local(value).strftime("%H:%M %d/%m/%Y")
    return str(value)


def clean_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Parameters as stored: strings (datetimes on the local clock)."""
    return {str(k): format_param(v) for k, v in (params or {}).items()}


def render(
    template: Template,
    params: Mapping[str, str] | None,
    *,
    locale_code: str,
    base_url: str,
    brand: str,
) -> Rendered:
    values: dict[str, str] = dict.fromkeys(template.params, "")
    values.update(params or {})
    link = (template.link % values) if template.link else None
    url = base_url.rstrip("/") + link if link else None
    values["url"] = url or base_url
    values["brand"] = brand
    with locale(locale_code):
        title = i18n.gettext(template.title, **values)
        body = i18n.gettext(template.body, **values)
        sms = i18n.gettext(template.sms, **values) if template.sms else body
    return Rendered(title=title, body=body, sms=sms, link=link, url=url)


# -- texts written by officials (campaigns) -------------------------------------------------

CAMPAIGN_PLACEHOLDERS = {
    "name": N_("the recipient's name (empty for numbers from an uploaded list)"),
    "ward": N_("the recipient's ward"),
    "link": N_("the address of the site"),
    "brand": N_("the sender name"),
}


def placeholders_of(text: str) -> list[str]:
    """The `{name}` fields of a text; raises InvalidInput for malformed braces."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            N_("The text has an unmatched { or }. Write {{ and }} for literal braces."),
            fields={"text": N_("Unmatched { or }.")},
            code="bad_placeholder",
        ) from None
    names = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise InvalidInput(
                N_("The placeholder {%(name)s} is not allowed."),
                params={"name": field},
                fields={"text": N_("Unknown placeholder.")},
                code="unknown_placeholder",
            )
        names.append(field)
    return names


def check_campaign_text(text: str, allowed: Mapping[str, str] = CAMPAIGN_PLACEHOLDERS) -> None:
    """Refuse a campaign text with an unknown placeholder before anything is launched."""
    for name in placeholders_of(text):
        if name not in allowed:
            raise InvalidInput(
                N_("The placeholder {%(name)s} is unknown. Allowed: %(allowed)s."),
                params={"name": name, "allowed": ", ".join("{" + k + "}" for k in allowed)},
                fields={"text": N_("Unknown placeholder.")},
                code="unknown_placeholder",
            )


def render_campaign_text(text: str, values: Mapping[str, str]) -> str:
    full = dict.fromkeys(CAMPAIGN_PLACEHOLDERS, "")
    full.update(values)
    return text.format_map(full)
