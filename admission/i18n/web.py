"""The messages of a web page (the managers' dashboard), from the same catalogues as everything else.

The page marks its words where they are written: in its HTML, an element with a `data-i18n`
attribute is translated whole (its text is the message) and the attributes named in
`data-i18n-attr` ("placeholder aria-label") are too; in its script, `_("…")`, `N_("…")` and
`ngettext("…", "…", n)` as in Python. `make messages` extracts both (babel.cfg), and the
service hands a page the translations of exactly the messages its files mark, read from those
files with the same extractors, so nothing has to be listed twice.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract

from admission.i18n import LANGUAGES, babel_locale, language_name, translations

MessageId = str | tuple[str, str]
_SPACE = re.compile(r"\s+")


def tidy(text: str) -> str:
    """A message as marked in HTML: its text with runs of white space made one space."""
    return _SPACE.sub(" ", text).strip()


class _MarkedText(HTMLParser):
    """The texts of elements marked `data-i18n`, and of their attributes named in `data-i18n-attr`."""

    VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._open: list[tuple[bool, int, list[str]]] = []  # (marked, line, text parts) per element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        for name in values.get("data-i18n-attr", "").split():
            if values.get(name):
                self.found.append((line, tidy(values[name])))
        if tag not in self.VOID:
            self._open.append(("data-i18n" in values, line, []))

    def handle_data(self, data: str) -> None:
        for _marked, _line, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            marked, line, parts = self._open.pop()
            if marked and tidy("".join(parts)):
                self.found.append((line, tidy("".join(parts))))


def extract_html(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extractor for HTML pages (babel.cfg names it): the texts marked as above."""
    parser = _MarkedText()
    parser.feed(fileobj.read().decode(options.get("encoding", "utf-8")))
    parser.close()
    for line, text in parser.found:
        yield line, None, text, []


def marked_messages(files: Sequence[Path]) -> list[MessageId]:
    """Every message the page's files mark, in the order they appear (HTML and JavaScript)."""
    found: dict[MessageId, None] = {}
    for path in files:
        method: Any = extract_html if path.suffix == ".html" else "javascript"  # Babel types it narrower
        with path.open("rb") as handle:
            for _line, message, _comments, _context in extract(method, handle, DEFAULT_KEYWORDS):
                found[message if isinstance(message, str) else (message[0], message[1])] = None
    return list(found)


@cache
def page_catalogue(language: str, files: tuple[Path, ...]) -> dict[str, Any]:
    """What a page needs to speak `language`: its messages translated (a message with plural forms
    maps its singular to the list of forms), the locale that formats dates, numbers and money
    as the command line does (Babel's), and the languages to offer, each in its own words."""
    speaking = translations(language)
    messages: dict[str, str | list[str]] = {}
    for message in marked_messages(files):
        if isinstance(message, tuple):
            singular, plural = message
            # One and many suffice: every language of this release has two plural forms.
            messages[singular] = [
                speaking.ngettext(singular, plural, 1),
                speaking.ngettext(singular, plural, 2),
            ]
        else:
            messages[message] = speaking.gettext(message)
    return {
        "language": language,
        "locale": str(babel_locale(language)).replace("_", "-"),
        "languages": [{"code": code, "name": language_name(code)} for code in LANGUAGES],
        "messages": messages,
    }
