"""Reading a venue file: TOML into the file's structs, each mistake named with its line, the
field, and what to write instead."""

from __future__ import annotations

import difflib
import re
import tomllib
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from admission.contract import (
    DeviceEntry,
    EventEntry,
    GateEntry,
    MethodEntry,
    PaymentsSection,
    TemplateEntry,
    VenueFile,
    VenueSection,
)
from admission.domain.errors import InvalidRequestError

Path = tuple[str | int, ...]

# What to write, by field name, added to msgspec's own words for a value of the wrong shape.
HINTS = {
    "max_entries": 'write a whole number of entries, e.g. max_entries = 10, or max_entries = "unlimited"',
    "capacity": 'write a whole number of places, e.g. capacity = 500, or capacity = "unlimited"',
    "validity": 'write validity = "fixed", "days_from_sale" or "days_from_first_use"',
    "kind": 'write kind = "entry" or kind = "event"',
    "role": 'write role = "admin", "box_office", "gate", "viewer" or "hub"',
    "method": 'write method = "cash", "mobile", "mobile_integrated" or "card"',
    "timezone": 'write an IANA time zone, e.g. timezone = "Europe/Berlin"',
    "currency": 'write three capital letters, e.g. currency = "EUR"',
    "language": 'write a language tag, e.g. language = "en" or "de-AT"',
    "color": 'write a colour as #rrggbb, e.g. color = "#2e7d32"',
    "plu": 'write letters, digits and "-" (at most 20), e.g. plu = "100"',
    "price": "write an amount, e.g. price = 25 or price = 25.50",
    "starts_at": "write a date and time, e.g. 2027-07-04T19:00:00 (the venue's time) or with an offset",
    "ends_at": "write a date and time, e.g. 2027-07-04T22:00:00 (the venue's time) or with an offset",
    "valid_from": "write a date and time, e.g. 2027-01-01T00:00:00 (the venue's time) or with an offset",
    "valid_until": "write a date and time, e.g. 2027-12-31T23:59:00 (the venue's time) or with an offset",
    "validity_days": "write a whole number of days from 1 to 3660, e.g. validity_days = 365",
    "doors_open_minutes": "write minutes from 0 to 1440, e.g. doors_open_minutes = 60",
    "card_brands": 'write lower-case brand names, e.g. card_brands = ["visa", "mastercard"]',
    "card_offline_brands": 'write lower-case brand names, e.g. card_offline_brands = ["visa"]',
    "annul_window_seconds": "write seconds from 0 to 3600, e.g. annul_window_seconds = 30",
    "offline_limit_hours": "write hours from 1 to 720, e.g. offline_limit_hours = 24",
    "vat_rate": "write a percentage from 0 to 100 with at most two decimals, e.g. vat_rate = 25 or 25.5",
    "vat_number": 'write the number as receipts print it, e.g. vat_number = "SE556677889901"',
    "address": 'write the address lines, e.g. address = ["Djurgårdsvägen 1", "115 21 Stockholm"]',
    "custom_rule": "write the rule as JSON text, e.g. "
    'custom_rule = \'{"in": [{"var": "weekday"}, ["saturday", "sunday"]]}\' (docs/entry-rules.md)',
}
TABLES: dict[str, type[msgspec.Struct]] = {
    "venue": VenueSection,
    "templates": TemplateEntry,
    "events": EventEntry,
    "gates": GateEntry,
    "payments": PaymentsSection,
    "methods": MethodEntry,
    "devices": DeviceEntry,
}
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
_MSGSPEC_AT = re.compile(r"^(.*) - at `\$(.*)`$")
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
MAX_PRICE = Decimal(10_000_000)


class VenueFileError(InvalidRequestError):
    """A venue file that cannot be applied: every problem found, one per line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        count = f"{len(problems)} problems" if len(problems) > 1 else "a problem"
        super().__init__(
            f"{source} has {count}; nothing was changed:\n" + "\n".join(f"  {p}" for p in problems)
        )
        self.problems = problems


class SourceMap:
    """Where each table and field of the file stands (for tables written as [x] and [[x]])."""

    def __init__(self, text: str, data: dict[str, Any]) -> None:
        self.data = data
        self.lines = text.splitlines()
        self.blocks: list[tuple[Path, int]] = [((), 1)]  # (table path, first line), in file order
        seen: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if not match:
                continue
            names = tuple(part.strip().strip("\"'") for part in match.group(2).split("."))
            if match.group(1) == "[[":
                index = seen.get(names, 0)
                seen[names] = index + 1
                self.blocks.append(((*names, index), number))
            else:
                self.blocks.append((names, number))

    def line_of(self, path: Path) -> int | None:
        best: tuple[int, int] | None = None  # (depth, block number)
        for number, (table, _) in enumerate(self.blocks):
            if path[: len(table)] == table and (best is None or len(table) > best[0]):
                best = (len(table), number)
        if best is None:
            return None
        depth, number = best
        start = self.blocks[number][1]
        end = self.blocks[number + 1][1] if number + 1 < len(self.blocks) else len(self.lines) + 1
        if depth < len(path) and isinstance(path[depth], str):
            key = re.compile(rf"^\s*[\"']?{re.escape(str(path[depth]))}[\"']?\s*=")
            for line in range(start, end):
                if key.match(self.lines[line - 1]):
                    return line
        return start if depth else None

    def where(self, path: Path) -> str:
        """E.g. 'line 12, [[templates]] "Day ticket", max_entries'."""
        parts: list[str] = []
        line = self.line_of(path)
        if line is not None:
            parts.append(f"line {line}")
        if path:
            parts.append(self._table_name(path))
        field = next((p for p in reversed(path) if isinstance(p, str)), None)
        if field is not None and field not in TABLES:
            parts.append(field)
        return ", ".join(parts)

    def _table_name(self, path: Path) -> str:
        if len(path) >= 2 and isinstance(path[1], int):
            items = self.data.get(str(path[0]))
            name = None
            if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], dict):
                name = items[path[1]].get("name")
            label = f'"{name}"' if isinstance(name, str) else f"number {path[1] + 1}"
            return f"[[{path[0]}]] {label}"
        return f"[{path[0]}]"


def read_venue_file(text: str, source: str = "the venue file") -> tuple[VenueFile, SourceMap]:
    """The file's content, or a VenueFileError naming what to fix (and where)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VenueFileError(
            source, [f'not valid TOML: {exc} (text values need quotes, e.g. name = "Main gate")']
        ) from exc
    where = SourceMap(text, data)
    try:
        spec = msgspec.convert(data, type=VenueFile)
    except msgspec.ValidationError as exc:
        raise VenueFileError(source, [_explain(str(exc), where)]) from exc
    return spec, where


def _explain(message: str, where: SourceMap) -> str:
    match = _MSGSPEC_AT.match(message)
    text, raw_path = match.groups() if match else (message, "")
    path: Path = tuple(name if name else int(index) for name, index in _PATH_PART.findall(raw_path))
    unknown = re.match(r"Object contains unknown field `(.+)`", text)
    if unknown:
        field = unknown.group(1)
        table = _table_type(path)
        known = list(table.__struct_fields__) if table else []
        close = difflib.get_close_matches(field, known, n=1)
        advice = f"did you mean {close[0]}?" if close else f"the fields here are: {', '.join(known)}"
        return f"{where.where((*path, field))}: unknown field {field!r}: {advice}"
    missing = re.match(r"Object missing required field `(.+)`", text)
    if missing:
        field = missing.group(1)
        if not path:
            return f"[{field}] is missing: start the file with [{field}], its name and timezone"
        return f"{where.where(path)}: {field} is missing: add {field} = ..."
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    hint = HINTS.get(field)
    place = where.where(path)
    return (f"{place}: " if place else "") + _plain(text) + (f": {hint}" if hint else "")


def _plain(text: str) -> str:
    return text.replace("Expected `", "expected `").replace("Invalid enum value", "unknown value")


def _table_type(path: Path) -> type[msgspec.Struct] | None:
    names = [p for p in path if isinstance(p, str)]
    return TABLES.get(names[-1]) if names else VenueFile


def price_cents(value: int | float | str) -> int:
    """Cents of a price as written (25, 25.5, "25.50"); InvalidRequestError says what to write."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidRequestError(f"{value!r} is not an amount: {HINTS['price']}") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise InvalidRequestError(f"{value!r} is not a price from 0 to 10000000: {HINTS['price']}")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise InvalidRequestError(f"{value!r} has more than two decimals: {HINTS['price']}")
    return int(cents)
