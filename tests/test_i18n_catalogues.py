"""The catalogues staff read: every message marked in the code is in the template, and every
language translates all of it, with the same placeholders and its own plural forms."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from admission import i18n

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE]


def fields(message: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(message) if name is not None}


def template_ids() -> set[str | tuple[str, ...]]:
    with (i18n.LOCALE_DIR / "admission.pot").open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_the_template_holds_every_message_marked_in_the_code() -> None:
    """Run `make messages` (README, "Languages") when this fails: a new message is not in the
    template, so no catalogue can translate it."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    marked: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)}
    ):
        marked.add(message)
    assert marked - template_ids() == set()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with i18n.catalogue_path(language).open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    plurals = get_plural(language).num_plurals
    problems = []
    for message_id in template_ids():
        message = catalogue.get(message_id)
        translations = () if message is None else message.string
        if isinstance(translations, str):
            translations = (translations,)
        if message is None or message.fuzzy or not all(translations):
            problems.append(f"not translated: {message_id!r}")
            continue
        sources = message_id if isinstance(message_id, tuple) else (message_id,)
        if isinstance(message_id, tuple) and len(translations) != plurals:
            problems.append(f"{len(translations)} plural forms, {language} has {plurals}: {message_id!r}")
        for form, translation in enumerate(translations):
            # The singular's placeholders for the first form, the plural's for the others.
            source = sources[min(form, len(sources) - 1)]
            if fields(translation) != fields(source):
                problems.append(f"placeholders differ: {source!r} -> {translation!r}")
    assert problems == []
