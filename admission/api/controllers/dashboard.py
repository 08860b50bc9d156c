"""The managers' dashboard: one page, its assets and its words, served without a token (the page
asks for a viewer or admin token and calls the API with it).

The page speaks the manager's language: the one chosen in its menu (kept in the browser), else
the venue's, which the page carries when served. Its words come from the same catalogues as
the gates' and the commands' (`admission.i18n.web`), public like the script that shows them.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import MediaType, Response, Router, get
from litestar.params import FromPath
from litestar.static_files import create_static_files_router

from admission.api.dependencies import Uow
from admission.api.problems import not_found
from admission.domain.errors import NotFoundError
from admission.i18n import SOURCE_LANGUAGE, UnknownLanguage, normalise_language
from admission.i18n.web import page_catalogue
from admission.services import catalog
from admission.services.unit_of_work import UnitOfWork

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
# The files whose marked words the page shows (README, "Languages").
PAGE_FILES = (
    STATIC_DIR / "dashboard.html",
    STATIC_DIR / "dashboard.js",
    STATIC_DIR / "payments.js",
    STATIC_DIR / "card_float.js",
)
# Where the served page says which language the venue speaks.
_VENUE_LANGUAGE_SLOT = 'data-venue-language="en"'

_PAGE_HEADERS = {
    # The page runs only its own script and talks only to this service.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def venue_page_language(uow: UnitOfWork) -> str:
    """The venue's language if this release speaks it, else English (also before `init`)."""
    try:
        venue = await uow.read(catalog.get_venue)
        return normalise_language(catalog.venue_language(venue))
    except (NotFoundError, UnknownLanguage):
        return SOURCE_LANGUAGE


@get("/dashboard", include_in_schema=False, exclude_from_auth=True, media_type=MediaType.HTML)
async def dashboard_page(uow: Uow) -> Response[bytes]:
    """The managers' dashboard; it asks for a viewer or admin token and calls the API."""
    language = html.escape(await venue_page_language(uow), quote=True)
    page = (STATIC_DIR / "dashboard.html").read_text(encoding="utf-8")
    page = page.replace(_VENUE_LANGUAGE_SLOT, f'data-venue-language="{language}"', 1)
    return Response(page.encode(), headers=_PAGE_HEADERS)


@get("/dashboard/messages/{language:str}", include_in_schema=False, exclude_from_auth=True)
async def dashboard_messages(language: FromPath[str]) -> Response[dict[str, Any]]:
    """The page's words in `language` (`sv`, `sv-SE`…), with the locale that formats its figures."""
    try:
        code = normalise_language(language)
    except UnknownLanguage as exc:
        raise NotFoundError(str(exc)) from None
    # Cached by the browser for a while: the words change only with a new release.
    return Response(page_catalogue(code, PAGE_FILES), headers={"Cache-Control": "max-age=300"})


dashboard_assets: Router = create_static_files_router(
    path="/dashboard/assets",
    directories=[STATIC_DIR],
    include_in_schema=False,
    opt={"exclude_from_auth": True},
    # A path no file can have (a NUL byte) makes the file lookup raise: it is simply not found.
    exception_handlers={ValueError: not_found},
)


DASHBOARD_ROUTES: list[Any] = [dashboard_page, dashboard_messages, dashboard_assets]
