"""A pseudo-language made on the fly from the message template: every message comes out as
⟦message⟧, so a screen or a command speaking it shows at once which words never went through
the catalogues (those outside the brackets)."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from textual.app import App
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from admission import i18n

TEMPLATE = i18n.LOCALE_DIR / "admission.pot"
OPEN, CLOSE = "⟦", "⟧"


def pseudo_translations() -> gettext.GNUTranslations:
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    pseudo = Catalog(locale="en", domain=i18n.DOMAIN)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            pseudo.add(message.id, tuple(f"{OPEN}{form}{CLOSE}" for form in message.id))
        else:
            pseudo.add(message.id, f"{OPEN}{message.id}{CLOSE}")
    compiled = BytesIO()
    write_mo(compiled, pseudo)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@contextmanager
def speaking_pseudo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process speaks the pseudo-language (dates and money stay English)."""
    pseudo = pseudo_translations()
    monkeypatch.setattr(i18n, "translations", lambda code: pseudo)
    i18n.set_language("en")
    yield


_BRACKETED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")


def untranslated(texts: Iterable[str], data: Iterable[str] = ()) -> list[str]:
    """The words in `texts` outside any ⟦…⟧, once the data shown as it is (names of gates,
    tickets, devices; codes) is taken out."""
    found = []
    names = sorted(data, key=len, reverse=True)
    for text in texts:
        rest = text
        while True:  # innermost first: a translated message may hold another one
            stripped = _BRACKETED.sub(" ", rest)
            if stripped == rest:
                break
            rest = stripped
        for name in names:
            rest = rest.replace(name, " ")
        words = [w for w in re.findall(r"[^\W\d_]{2,}", rest)]
        if words:
            found.append(f"{text!r}: {' '.join(words)}")
    return found


def visible_texts(app: App[object]) -> list[str]:
    """What a Textual app shows on its current screen in words: static texts, labels, buttons,
    input placeholders, select prompts, table headings and the footer's keys."""
    texts: list[str] = []
    screen = app.screen
    for widget in screen.walk_children(with_self=False):
        if not widget.display:
            continue
        if isinstance(widget, Static):  # Label too
            texts.append(str(widget.content))
        elif isinstance(widget, Button | Checkbox):
            texts.append(str(widget.label))
        elif isinstance(widget, Input):
            texts.append(widget.placeholder)
        elif isinstance(widget, Select):
            texts.append(str(widget.prompt))
        elif isinstance(widget, DataTable):
            texts.extend(str(column.label) for column in widget.columns.values())
    texts.extend(
        active.binding.description
        for active in screen.active_bindings.values()
        if active.binding.show and active.binding.description
    )
    return [t for t in texts if t.strip()]
