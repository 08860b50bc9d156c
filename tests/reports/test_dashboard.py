"""The dashboard in a real browser: Playwright driving Debian's headless Chromium against the live service.

Playwright drives the system's Chromium (never a browser download): the page is read once its
scripts have settled, then the test checks that the charts were drawn and that the figures on
the page are the API's figures, and signs in the way a manager does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date, format_time
from babel.numbers import format_percent
from playwright.sync_api import Browser, Page, sync_playwright

from admission.cli import common
from admission.config import Settings
from admission.demo import DEMO_TIMEZONE, DemoVenue
from admission.domain.codes import damm_check_digit
from admission.services import catalog
from tests.reports.scripted_day import CONFLICT_NONCE, DAY
from tests.support.live_server import LiveServer
from tests.support.pseudo_locale import CLOSE, OPEN, untranslated

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parents: list[Element]) -> None:
        self.tag, self.attrs, self.parents = tag, attrs, parents

    def within(self, element_id: str) -> bool:
        return any(p.attrs.get("id") == element_id for p in self.parents)


class DomIndex(HTMLParser):
    """Every element with its attributes and ancestors (enough to query a dumped DOM)."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, list(self._open))
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}, list(self._open)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def find(self, tag: str | None = None, inside: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and (inside is None or e.within(inside))
            and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element:
        (element,) = self.find(id=element_id)
        return element


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test and requested last: Playwright's sync API keeps an event loop running in this
    thread, and the venue fixtures run theirs with asyncio.run."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def settled(page: Page) -> DomIndex:
    """The page once its scripts have finished: the body says `ready` or `login`."""
    # Selectors, not scripts: the page's CSP (script-src 'self') forbids evaluated strings.
    page.wait_for_selector("body[data-state=ready], body[data-state=login]", state="attached", timeout=30_000)
    return DomIndex(page.content())


def render(browser: Browser, url: str) -> DomIndex:
    page = browser.new_page()
    try:
        page.goto(url)
        return settled(page)
    finally:
        page.close()


def api(server: LiveServer, token: str, path: str, **params: str) -> Any:
    with server.client(token) as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_dashboard_draws_the_day_with_the_apis_figures(
    scripted: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    token = scripted.viewer_token
    day = {"from": DAY.isoformat(), "to": DAY.isoformat()}
    with live_server.client(scripted.admin_token) as admin:
        ends_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        notice = admin.post("/api/v1/notices", json={"message": "Cash only at the kiosk", "ends_at": ends_at})
        assert notice.status_code == 201, notice.text
    with live_server.client(scripted.gate_tokens["Main gate"]) as gate:
        health = {"device": "gate-main", "version": "0.9.1", "queue": 4, "clock_offset_seconds": 95}
        assert gate.post("/api/v1/fleet/reports", json=health).status_code == 200
    page = render(browser, f"{live_server.url}/dashboard#token={token}&day={DAY.isoformat()}")
    assert page.find("body")[0].attrs["data-state"] == "ready"
    assert "hidden" not in page.by_id("board").attrs
    assert [n.attrs["data-notice"] for n in page.find("div", inside="notices")] == [str(notice.json()["id"])]
    assert "Cash only at the kiosk" in page.html

    summary = api(live_server, token, "/api/v1/reports/summary", **day)
    for tile, figure in [
        ("entries", "entries"),
        ("exits", "exits"),
        ("refused", "refused"),
        ("misreads", "misreads"),
        ("outages", "outages"),
    ]:
        assert page.by_id(f"tile-{tile}").attrs["data-value"] == str(summary[figure]), tile
    assert page.by_id("tile-conflicts").attrs["data-value"] == "1"
    now = {e.attrs["data-zone"]: int(e.attrs["data-value"]) for e in page.find("li", inside="occupancy-now")}
    assert (
        now == api(live_server, token, "/api/v1/reports/occupancy", **day)["now"] == summary["occupancy_now"]
    )

    # Occupancy: one line per zone, drawn as SVG.
    lines = page.find("polyline", inside="svg-occupancy")
    assert sorted(line.attrs["data-zone"] for line in lines) == ["arena", "zoo"]
    assert all(len(line.attrs["points"].split()) > 90 for line in lines)  # a point per quarter hour

    # Entries and exits per gate per 15 minutes: the bars add up to the API's rows.
    passages = api(live_server, token, "/api/v1/reports/passages", granularity="15min", **day)
    expected: dict[tuple[str, str, str], int] = {}
    for row in passages["rows"]:
        for kind in ("entries", "exits"):
            if row[kind]:
                expected[(kind, row["gate"], row["bucket"])] = row[kind]
    bars = {
        (b.attrs["data-kind"], b.attrs["data-gate"], b.attrs["data-bucket"]): int(b.attrs["data-value"])
        for b in page.find("rect", inside="svg-passages", **{"class": "bar"})
    }
    assert bars == expected and len(bars) == 6

    reasons = api(live_server, token, "/api/v1/reports/reasons", **day)
    rejects = {r["reason"]: r["scans"] for r in reasons["rows"] if r["verdict"] == "reject"}
    drawn = {
        b.attrs["data-reason"]: int(b.attrs["data-value"]) for b in page.find("rect", inside="svg-rejects")
    }
    assert drawn == rejects == {"invalid": 3, "already_used": 2}

    sources = {
        b.attrs["data-source"]: int(b.attrs["data-value"]) for b in page.find("rect", inside="svg-sources")
    }
    assert sources == {
        r["source"]: r["scans"] for r in api(live_server, token, "/api/v1/reports/sources", **day)["rows"]
    }

    outages = api(live_server, token, "/api/v1/reports/outages", **day)
    drawn_outages = Counter(b.attrs["data-outage"] for b in page.find("rect", inside="svg-outages"))
    assert drawn_outages == Counter(str(r["id"]) for r in outages["rows"]) and len(drawn_outages) == 2

    assert [
        tr.attrs["data-nonce"] for tr in page.find("tr", inside="conflicts") if "data-nonce" in tr.attrs
    ] == [CONFLICT_NONCE]
    assert page.find("button", inside="conflicts") == []  # a viewer may look, not review

    # The fleet: every gate and till, the one with a wrong clock flagged.
    fleet = api(live_server, token, "/api/v1/fleet")
    rows = {tr.attrs["data-device"]: tr.attrs["data-flags"] for tr in page.find("tr", inside="fleet") if "data-device" in tr.attrs}
    assert rows == {d["name"]: " ".join(d["flags"]) for d in fleet["devices"]}
    assert rows["gate-main"] == "clock_skew" and "Clock off by +1 min 35 s" in page.html


def test_dashboard_asks_for_a_token_and_refuses_a_wrong_one(
    demo_venue: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    page = httpx.get(f"{live_server.url}/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{live_server.url}/dashboard/assets/dashboard.js").status_code == 200

    wrong = render(browser, f"{live_server.url}/dashboard#token=adm_not-a-token")
    assert wrong.find("body")[0].attrs["data-state"] == "login"
    assert "this token is unknown or revoked" in wrong.html

    # A manager opens the bare address, types the token and presses Enter.
    tab = browser.new_page()
    try:
        tab.goto(f"{live_server.url}/dashboard")
        anonymous = settled(tab)
        assert anonymous.find("body")[0].attrs["data-state"] == "login"
        assert "hidden" not in anonymous.by_id("login").attrs and "hidden" in anonymous.by_id("board").attrs
        tab.fill("#token", "adm_viewer_wrong")
        tab.press("#token", "Enter")
        tab.wait_for_selector("#login-error:not(:empty)")
        assert tab.locator("#board").is_hidden()
        tab.fill("#token", demo_venue.viewer_token)
        tab.press("#token", "Enter")
        tab.wait_for_selector("body[data-state=ready]", state="attached", timeout=30_000)
        assert tab.locator("#board").is_visible() and tab.locator("#login").is_hidden()
        assert demo_venue.viewer_token not in tab.url  # the token is not left in the address bar
    finally:
        tab.close()


def test_dashboard_shows_ticket_look_ups_that_found_nothing(
    demo_venue: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    with live_server.client(demo_venue.box_office_token) as box_office:
        for i in range(3):
            body = f"{600_000_000_000 + i:012d}"
            assert box_office.get(f"/api/v1/tickets/{body}{damm_check_digit(body)}").status_code == 404
    today = datetime.now(ZoneInfo(DEMO_TIMEZONE)).date().isoformat()
    page = render(browser, f"{live_server.url}/dashboard#token={demo_venue.viewer_token}&day={today}")
    assert page.find("body")[0].attrs["data-state"] == "ready"
    assert page.by_id("tile-lookup-misses").attrs["data-value"] == "3"
    rows = [tr.attrs for tr in page.find("tr", inside="lookup-misses") if "data-device" in tr.attrs]
    assert [(r["data-device"], r["data-address"]) for r in rows] == [("box-office-1", "127.0.0.1")]
    assert "hidden" in page.by_id("no-lookup-misses").attrs



@pytest.fixture
def danish(scripted: DemoVenue) -> DemoVenue:
    """The scripted venue, speaking Danish (before the browser's event loop runs in this thread)."""
    settings = Settings.load(scripted.database_url, scripted.data_dir)
    common.run(common.writing(settings, lambda session: catalog.save_venue_locale(session, "DKK", "da")))
    return scripted


def test_dashboard_speaks_the_venues_language_and_the_one_the_manager_chooses(
    danish: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    scripted = danish
    context = browser.new_context()  # a browser of its own: nothing remembered from other tests
    tab = context.new_page()
    try:
        # The venue speaks Danish, so the page does until the manager chooses otherwise.
        tab.goto(f"{live_server.url}/dashboard#token={scripted.viewer_token}&day={DAY.isoformat()}")
        danish = settled(tab)
        assert danish.find("html")[0].attrs["lang"] == "da"
        assert "Belægning i løbet af dagen" in danish.html and "Occupancy over the day" not in danish.html

        tab.select_option("#language", "sv")
        tab.wait_for_selector("html[lang=sv] body[data-state=ready]", state="attached", timeout=30_000)
        swedish = DomIndex(tab.content())
        headings = {" ".join(tab.locator("h2").nth(i).inner_text().split()) for i in range(tab.locator("h2").count())}
        assert {"Beläggning under dagen (personer inne, per zon, var 15:e minut)", "Nekade, per orsak"} <= headings
        assert tab.locator("th").first.inner_text() == "Tid" and "Inne nu" in swedish.html
        assert "Ogiltig biljett" in swedish.html  # the reasons in the gates' and reports' words

        # Figures and times as Swedish writes them, the same as the command line's (Babel).
        day = {"from": DAY.isoformat(), "to": DAY.isoformat()}
        summary = api(live_server, scripted.viewer_token, "/api/v1/reports/summary", **day)
        share = tab.locator("#tile-offline").inner_text()
        assert share == format_percent(summary["offline_share"], locale="sv_SE") and "\u00a0%" in share
        conflict = api(live_server, scripted.viewer_token, "/api/v1/reports/conflicts")["rows"][0]
        moment = datetime.fromisoformat(conflict["scanned_at"])
        tz = ZoneInfo(summary["timezone"])
        written = f"{format_date(moment.astimezone(tz), 'medium', locale='sv_SE')} {format_time(moment, 'short', tzinfo=tz, locale='sv_SE')}"
        assert tab.locator("#conflicts td.moment").inner_text() == written == "12 juni 2026 18:31"

        # The choice is remembered in this browser, over the venue's language.
        tab.reload()
        tab.wait_for_selector("html[lang=sv] body[data-state=ready]", state="attached", timeout=30_000)
    finally:
        context.close()


def test_the_dashboards_words_are_served_per_language(live_server: LiveServer) -> None:
    swedish = httpx.get(f"{live_server.url}/dashboard/messages/sv-SE")
    assert swedish.status_code == 200
    body = swedish.json()
    assert (body["language"], body["locale"]) == ("sv", "sv-SE")
    assert body["messages"]["Inside now"] == "Inne nu"
    assert body["messages"]["{count} device"] == ["{count} enhet", "{count} enheter"]
    assert [language["name"] for language in body["languages"]] == ["English", "Svenska", "Dansk", "Deutsch", "Suomi"]
    # Only the dashboard's own words, none of the gate's.
    assert "Welcome" not in body["messages"]
    unknown = httpx.get(f"{live_server.url}/dashboard/messages/xx")
    assert unknown.status_code == 404 and "choose one of en, sv, da, de, fi" in unknown.json()["detail"]


def pseudo_catalogue(url: str) -> dict[str, Any]:
    """The page's catalogue with every message bracketed, as the pseudo-language of the commands."""
    served = httpx.get(url).json()
    bracketed = {
        key: [f"{OPEN}{form}{CLOSE}" for form in value] if isinstance(value, list) else f"{OPEN}{value}{CLOSE}"
        for key, value in served["messages"].items()
    }
    return {**served, "messages": bracketed}


def test_no_word_of_the_dashboard_escapes_the_catalogues(
    scripted: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    catalogue = pseudo_catalogue(f"{live_server.url}/dashboard/messages/en")
    tab = browser.new_page()
    try:
        tab.route(
            "**/dashboard/messages/*",
            lambda route: route.fulfill(json=catalogue, headers={"Cache-Control": "no-store"}),
        )
        tab.goto(f"{live_server.url}/dashboard#token={scripted.viewer_token}&day={DAY.isoformat()}")
        page = settled(tab)
        texts = [tab.inner_text("body"), tab.title()]
        texts += [e.attrs[name] for e in page.elements for name in ("aria-label", "placeholder") if e.attrs.get(name)]
        texts += [tab.locator("svg title").nth(i).text_content() or "" for i in range(tab.locator("svg title").count())]
    finally:
        tab.close()
    fleet = api(live_server, scripted.viewer_token, "/api/v1/fleet")
    data = [
        "admission",  # the product's name
        "adm_",
        "admission tokens create --name manager --role viewer",  # a command to copy
        "Demo Zoo & Arena",
        "English",
        "Svenska",
        "Dansk",
        "Deutsch",
        "Suomi",
        *(d["name"] for d in fleet["devices"]),
        *(d["gate"] for d in fleet["devices"] if d["gate"]),
        "Main gate",
        "North gate",
        "Arena door",
        "Arena entrance",
        "arena",
        "zoo",
        "Jun",  # dates as English writes them
    ]
    missing = untranslated(texts, data)
    assert missing == [], "\n".join(missing)

