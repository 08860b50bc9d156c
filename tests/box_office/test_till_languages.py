"""The till speaks its PC's language: no word on its screens escapes the catalogues
(pseudo-language), and a till set to German sells in German."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from admission import i18n
from admission.demo import DemoVenue
from scanner_client.core.language import choose_language, speak_device_language
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.refunds import RefundScreen
from scanner_client.till.screens import UnsyncedSalesScreen
from tests.box_office.test_box_office_app import SIZE, add, pay, text, until
from tests.box_office.till_support import offline_till
from tests.support.pseudo_locale import speaking_pseudo, untranslated, visible_texts

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.set_language("en")


async def test_no_word_on_the_tills_screens_escapes_the_catalogues(
    client: Client, demo_venue: DemoVenue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    with speaking_pseudo(monkeypatch):
        app = BoxOfficeApp(till)
        async with app.run_test(size=SIZE) as pilot:
            seen = visible_texts(app)
            await add(pilot, app, "100", quantity="2")
            seen += visible_texts(app)
            await add(pilot, app, "no such ticket")
            seen += visible_texts(app)
            await pay(pilot, app, "cash", tendered="100")
            seen += visible_texts(app)
            await pilot.press("f3")
            await until(pilot, lambda: isinstance(app.screen, UnsyncedSalesScreen))
            await pilot.pause()
            seen += visible_texts(app)
            await pilot.press("escape")
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, RefundScreen))
            seen += visible_texts(app)
    templates = [t.name for t in till.templates().values()]
    nonces = [s.nonce for s in till.store.sales(("queued",))]
    data = [str(tmp_path), till.device, "PLU", "Europe/Berlin", "Visa", "Mastercard", *templates, *nonces]
    missing = untranslated(seen, data)
    assert missing == [], "\n".join(missing)


async def test_a_till_set_to_german_sells_in_german(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    choose_language(till.store, "de")
    speak_device_language(till.store)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        assert "Bar: geht auch offline" in text(app, "#rules")
        await add(pilot, app, "100", quantity="2")
        assert "Summe 90,00" in text(app, "#total") or "Summe 50,00" in text(app, "#total")
        await pay(pilot, app, "cash", tendered="100")
        assert text(app, "#message").startswith("VERKAUFT (offline, für den Server vorgemerkt): 2 Tickets")
