"""Translations: Vietnamese first, English second.

Message ids are English. Each domain keeps its Vietnamese catalog in
`src/epitrace/<domain>/locale/vi.po`; all catalogs are merged at start-up. The language of a
request comes from `?lang=`, the `lang` cookie, then Accept-Language, then the default (vi).
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

_current_locale: ContextVar[str] = ContextVar("epitrace_locale", default=DEFAULT_LOCALE)


def catalog_files(locale: str) -> list[Path]:
    return sorted(PACKAGE_DIR.glob(f"*/locale/{locale}.po"))


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """All domain catalogs of one locale merged into one translations object."""
    merged: NullTranslations | None = None
    for path in catalog_files(locale):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(fp=buffer)
        if isinstance(merged, Translations):
            merged.merge(part)
        else:
            merged = part
    return merged if merged is not None else NullTranslations()


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LOCALES:
            return candidate
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().lower()[:2]
            if tag in LOCALES:
                return tag
    return DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current_locale.get()


def gettext(message: str, **params: Any) -> str:
    """Translate into the current request's language, then fill `%(name)s` placeholders."""
    text = translations(get_locale()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


_ = gettext
