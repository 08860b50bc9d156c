"""The venue: its name, its time zone (every local day and printed time is in it), the annul
window of its gates, how long they may admit offline, and what its tills print on receipts
(address, VAT number, standard rate).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import VenueData, VenueIn, VenueReceiptIn
from admission.db.models import Venue
from admission.domain.errors import InvalidRequestError, NotFoundError
from admission.domain.number_hash import NumberHasher
from admission.domain.vat import InvalidVatRate, rate_basis_points, rate_percent
from admission.services import feed


def require_aware(*moments: datetime | None) -> None:
    if any(m is not None and m.tzinfo is None for m in moments):
        raise InvalidRequestError("times must carry a UTC offset, e.g. 2026-06-01T10:00:00+02:00")


DEFAULT_CURRENCY = "EUR"
DEFAULT_LANGUAGE = "en"


def venue_currency(venue: Venue) -> str:
    """The venue's currency: what its templates are priced in unless they say otherwise."""
    return str((venue.settings or {}).get("currency", DEFAULT_CURRENCY))


def venue_language(venue: Venue) -> str:
    """The language tag of the venue's tickets and screens (e.g. "en", "de-AT")."""
    return str((venue.settings or {}).get("language", DEFAULT_LANGUAGE))


async def save_venue_locale(session: AsyncSession, currency: str, language: str) -> None:
    venue = await get_venue(session)
    changed = venue_language(venue) != language
    # A new dict, so the ORM sees the JSON column change.
    venue.settings = {**(venue.settings or {}), "currency": currency, "language": language}
    if changed:  # gates and tills that follow the venue's language learn it from the feed
        await feed.emit(session, "venue", "1", venue_data(venue, for_feed=True))


NUMBER_HASHING = "number_hashing"
RECEIPT = "receipt"  # {"address": [...], "vat_number": ..., "vat_rate_basis_points": ...}


def venue_data(venue: Venue, *, for_feed: bool = False) -> VenueData:
    """The venue as the API shows it; the feed adds how gates hash ticket numbers."""
    hashing = venue.settings.get(NUMBER_HASHING) if for_feed else None
    receipt = venue_receipt(venue)
    return VenueData(
        name=venue.name,
        timezone=venue.timezone,
        number_hashing=hashing,
        offline_limit_hours=venue.offline_limit_hours,
        address=receipt.address,
        vat_number=receipt.vat_number,
        vat_rate=receipt.vat_rate,
        language=venue_language(venue),
    )


def venue_receipt(venue: Venue) -> VenueReceiptIn:
    """What the venue's receipts print about it (nothing until it is set)."""
    stored = (venue.settings or {}).get(RECEIPT) or {}
    basis_points = stored.get("vat_rate_basis_points")
    return VenueReceiptIn(
        address=list(stored.get("address") or []),
        vat_number=stored.get("vat_number"),
        vat_rate=None if basis_points is None else rate_percent(int(basis_points)),
    )


async def save_venue_receipt(session: AsyncSession, data: VenueReceiptIn) -> VenueData:
    """Set the receipt details, all of them (an address line or a rate left out is removed);
    tills learn them from the change feed."""
    try:
        basis_points = None if data.vat_rate is None else rate_basis_points(data.vat_rate)
    except InvalidVatRate as exc:
        raise InvalidRequestError(str(exc)) from exc
    venue = await get_venue(session)
    stored = {
        "address": list(data.address),
        "vat_number": data.vat_number,
        "vat_rate_basis_points": basis_points,
    }
    venue.settings = {**(venue.settings or {}), RECEIPT: stored}  # a new dict: the ORM sees the change
    await feed.emit(session, "venue", "1", venue_data(venue, for_feed=True))
    return venue_data(venue)


async def number_hasher(session: AsyncSession) -> NumberHasher:
    """How this venue hashes ticket numbers for its gates (made with the venue)."""
    venue = await get_venue(session)
    spec = venue.settings.get(NUMBER_HASHING)
    if not spec:
        raise NotFoundError("the venue has no number hashing key: run `admission serve` once to upgrade")
    return NumberHasher.parse(spec)


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequestError(f"unknown time zone {name!r}: use an IANA name like Europe/Berlin") from exc


async def get_venue(session: AsyncSession) -> Venue:
    venue = await session.get(Venue, 1)
    if venue is None:
        raise NotFoundError("the venue is not set up: run `admission init`")
    return venue


async def show_venue(session: AsyncSession) -> VenueData:
    return venue_data(await get_venue(session))


async def save_venue(session: AsyncSession, data: VenueIn) -> VenueData:
    check_timezone(data.timezone)
    venue = await session.get(Venue, 1)
    if venue is None:
        venue = Venue(id=1, name=data.name, timezone=data.timezone, settings={})
        session.add(venue)
    venue.name, venue.timezone = data.name, data.timezone
    venue.annul_window_seconds = data.annul_window_seconds
    venue.offline_limit_hours = data.offline_limit_hours
    if NUMBER_HASHING not in venue.settings:
        venue.settings = {**venue.settings, NUMBER_HASHING: NumberHasher.new().spec}
    await feed.emit(session, "venue", "1", venue_data(venue, for_feed=True))
    return venue_data(venue)
