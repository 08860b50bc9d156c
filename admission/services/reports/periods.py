"""Report periods: the half-open range a report covers in the venue's time zone, read from what
a manager types (today, yesterday, a date, a date-time), and the heading every report carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from admission.domain.errors import InvalidRequestError


@dataclass(frozen=True)
class Period:
    """The half-open range [start, end) a report covers, in the venue's time zone."""

    start: datetime
    end: datetime
    tz: ZoneInfo


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def parse_moment(text: str, tz: ZoneInfo, *, is_end: bool, now: datetime) -> datetime:
    """A report boundary: `today`, `yesterday`, a date (a whole local day: its start, or for
    an end its end) or a date-time (without an offset it is venue time)."""
    value = text.strip().lower()
    today = now.astimezone(tz).date()
    named = {"today": today, "yesterday": today - timedelta(days=1), "tomorrow": today + timedelta(days=1)}
    try:
        day = named.get(value) or date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        return local_midnight(day + timedelta(days=1) if is_end else day, tz)
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise InvalidRequestError(
            f"cannot read the time {text!r}: use a date (2026-06-01), a date-time "
            "(2026-06-01T10:00, venue time, or with an offset), today or yesterday"
        ) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def resolve_period(tz: ZoneInfo, start: str | None, end: str | None, now: datetime | None = None) -> Period:
    """The period named by optional `from`/`to` texts; both missing: today, in venue time."""
    now = now or datetime.now(UTC)
    begin = parse_moment(start, tz, is_end=False, now=now) if start else None
    finish = parse_moment(end, tz, is_end=True, now=now) if end else None
    if begin is None:
        reference = (finish - timedelta(microseconds=1)) if finish else now
        begin = local_midnight(reference.astimezone(tz).date(), tz)
    if finish is None:
        end_of_today = local_midnight(now.astimezone(tz).date() + timedelta(days=1), tz)
        end_of_begin_day = local_midnight(begin.astimezone(tz).date() + timedelta(days=1), tz)
        finish = max(end_of_today, end_of_begin_day)
    if finish <= begin:
        raise InvalidRequestError("the report period is empty: 'to' must come after 'from'")
    return Period(start=begin.astimezone(tz), end=finish.astimezone(tz), tz=tz)


def report_heading(kind: str, period: Period | None, tz: ZoneInfo, **extra: Any) -> dict[str, Any]:
    """The fields every report starts with: its kind, the venue's zone and the period it covers
    (none for reports over all time), plus the report's own filters."""
    return {
        "kind": kind,
        "timezone": tz.key,
        "start": period.start if period else None,
        "end": period.end if period else None,
        **extra,
    }
