"""The languages staff read: English (the source language), Swedish, Danish, German, Finnish.

Mark a user-facing message with `_()` where it is shown, and with `N_()` where it is defined at
import time (a table of words), then pass it through `_()` when it is shown. A gate or a till
speaks one language, its device's (`set_language` at start-up); the service answers each request
in its caller's language (`speaking(code)` around the work). Catalogues are the `.po` files under
`locales/`, read with Babel when first needed, so there is no compiled file to forget to rebuild.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "sv", "da", "de", "fi")
SOURCE_LANGUAGE = "en"
DOMAIN = "admission"
LOCALE_DIR = Path(__file__).parent / "locales"
# Babel's locale for formatting dates, numbers and money in each language.
_FORMAT_LOCALES = {"en": "en_GB", "sv": "sv_SE", "da": "da_DK", "de": "de_DE", "fi": "fi_FI"}

_process_language = SOURCE_LANGUAGE
_request_language: ContextVar[str | None] = ContextVar("admission_language", default=None)


class UnknownLanguage(ValueError):
    """A language this release has no catalogue for."""


def normalise_language(code: str) -> str:
    """'sv', 'sv_SE', 'sv-SE' and 'SV' are Swedish; anything else this release lacks is an error."""
    base = code.strip().replace("-", "_").split("_")[0].lower()
    if base not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {code!r}: choose one of {', '.join(LANGUAGES)}")
    return base


def set_language(code: str) -> None:
    """The language of this process (a gate's or a till's screen, a command's messages)."""
    global _process_language
    _process_language = normalise_language(code)


def current_language() -> str:
    return _request_language.get() or _process_language


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Speak `code` inside the block only (one request, one receipt in the guest's language)."""
    token = _request_language.set(normalise_language(code))
    try:
        yield
    finally:
        _request_language.reset(token)


def catalogue_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(code: str) -> gettext.NullTranslations:
    path = catalogue_path(code)
    if code == SOURCE_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """`message` in the current language (English where no translation exists)."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined; `_()` translates it when shown."""
    return message


def language_name(code: str) -> str:
    """A language's name as its speakers write it ("svenska", "Deutsch"), for menus and status."""
    name = Locale.parse(_FORMAT_LOCALES[code]).language_name or code
    return name[:1].upper() + name[1:]


def babel_locale(code: str | None = None) -> Locale:
    """Babel's locale for formatting in `code` (default: the current language)."""
    return Locale.parse(_FORMAT_LOCALES[code or current_language()])
