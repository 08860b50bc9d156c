"""The managers' dashboard: one page and its assets, served without a token (the page asks
for a viewer or admin token and calls the API with it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import MediaType, Response, Router, get
from litestar.static_files import create_static_files_router

from admission.api.problems import not_found

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

_PAGE_HEADERS = {
    # The page runs only its own script and talks only to this service.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@get("/dashboard", include_in_schema=False, exclude_from_auth=True, media_type=MediaType.HTML)
async def dashboard_page() -> Response[bytes]:
    """The managers' dashboard; it asks for a viewer or admin token and calls the API."""
    return Response((STATIC_DIR / "dashboard.html").read_bytes(), headers=_PAGE_HEADERS)


dashboard_assets: Router = create_static_files_router(
    path="/dashboard/assets",
    directories=[STATIC_DIR],
    include_in_schema=False,
    opt={"exclude_from_auth": True},
    # A path no file can have (a NUL byte) makes the file lookup raise: it is simply not found.
    exception_handlers={ValueError: not_found},
)


DASHBOARD_ROUTES: list[Any] = [dashboard_page, dashboard_assets]
