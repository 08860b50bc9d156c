"""The language a device speaks: its own setting when staff chose one (`--language` at
enrolment, `scanner-client set-language` later), else the venue's language from the feed, else
English. Read when a command or an app starts; a change applies from the next start."""

from __future__ import annotations

from admission.i18n import SOURCE_LANGUAGE, UnknownLanguage, normalise_language, set_language
from scanner_client.core.database import StoreBase

LANGUAGE_KEY = "language"  # the device's own choice
VENUE_LANGUAGE_KEY = "venue_language"  # the venue's default, from the feed
VENUE_DEFAULT = "venue"  # what staff write to go back to the venue's language


def _known(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return normalise_language(code)
    except UnknownLanguage:  # a venue in a language this release does not speak: the next one down
        return None


def device_language(store: StoreBase) -> str:
    return (
        _known(store.get_config(LANGUAGE_KEY))
        or _known(store.get_config(VENUE_LANGUAGE_KEY))
        or SOURCE_LANGUAGE
    )


def speak_device_language(store: StoreBase) -> str:
    """Make this process speak the device's language; returns it."""
    language = device_language(store)
    set_language(language)
    return language


def choose_language(store: StoreBase, choice: str) -> str | None:
    """Store the device's own language ("venue": follow the venue's again); returns it or None.
    Raises UnknownLanguage for a language this release has no catalogue for."""
    language = None if choice.strip().lower() == VENUE_DEFAULT else normalise_language(choice)
    store.set_config(**{LANGUAGE_KEY: language})
    return language


def speak_at_enrolment(store: StoreBase, choice: str | None) -> str | None:
    """At enrolment: store `--language` when given, then speak the device's language. Returns the
    error to show for a language this release does not speak (nothing is stored then)."""
    if choice:
        try:
            choose_language(store, choice)
        except UnknownLanguage as exc:
            return str(exc)
    speak_device_language(store)
    return None
