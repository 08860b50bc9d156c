"""Table-driven tests for the validity window stamped on a ticket at sale time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from admission.domain.model import Direction, GateInfo, Reason, TemplateRules, TicketFacts, ValidityMode
from admission.domain.rules import decide
from admission.domain.templates import stamp_validity

CPH = ZoneInfo("Europe/Copenhagen")
NYC = ZoneInfo("America/New_York")
US = timedelta(microseconds=1)


def cph(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CPH)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NYC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def template(mode: ValidityMode = ValidityMode.FIXED, **kw: object) -> TemplateRules:
    return TemplateRules(template_id=1, name="Pass", validity_mode=mode, **kw)  # type: ignore[arg-type]


FIXED = ValidityMode.FIXED
SALE = ValidityMode.DAYS_FROM_SALE
FIRST_USE = ValidityMode.DAYS_FROM_FIRST_USE
SOLD = cph(2026, 6, 12, 15, 20)
LATE_UTC = utc(2026, 6, 12, 23, 30)  # 01:30 on 13 June in Copenhagen, 19:30 on 12 June in New York


@dataclass(frozen=True)
class Case:
    id: str
    rules: TemplateRules
    sold_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    tz: ZoneInfo = CPH


CASES = [
    # fixed: the template's own window, or none
    Case("fixed/no-window", template(FIXED), SOLD, None, None),
    Case(
        "fixed/season",
        template(FIXED, valid_from=cph(2026, 5, 1), valid_until=cph(2026, 10, 1)),
        SOLD,
        cph(2026, 5, 1),
        cph(2026, 10, 1),
    ),
    Case("fixed/open-end", template(FIXED, valid_from=cph(2026, 5, 1)), SOLD, cph(2026, 5, 1), None),
    Case("fixed/ignores-validity-days", template(FIXED, validity_days=3), SOLD, None, None),
    # N days from sale: from the sale to the venue's local midnight after the N-th day
    Case("from-sale/one-day", template(SALE, validity_days=1), SOLD, SOLD, cph(2026, 6, 13)),
    Case("from-sale/three-days", template(SALE, validity_days=3), SOLD, SOLD, cph(2026, 6, 15)),
    Case(
        "from-sale/sold-1us-before-midnight",
        template(SALE, validity_days=1),
        cph(2026, 6, 13) - US,
        cph(2026, 6, 13) - timedelta(minutes=1),  # valid from the whole minute, as its code says
        cph(2026, 6, 13),
    ),
    Case(
        "from-sale/sold-at-midnight",
        template(SALE, validity_days=1),
        cph(2026, 6, 13),
        cph(2026, 6, 13),
        cph(2026, 6, 14),
    ),
    Case(
        "from-sale/across-month-and-year",
        template(SALE, validity_days=2),
        cph(2026, 12, 31, 10),
        cph(2026, 12, 31, 10),
        cph(2027, 1, 2),
    ),
    Case(
        "from-sale/late-utc-copenhagen", template(SALE, validity_days=1), LATE_UTC, LATE_UTC, cph(2026, 6, 14)
    ),
    Case(
        "from-sale/late-utc-new-york",
        template(SALE, validity_days=1),
        LATE_UTC,
        LATE_UTC,
        nyc(2026, 6, 13),
        tz=NYC,
    ),
    Case(
        "from-sale/over-european-spring-dst",  # 47 hours, ends 00:00 CEST = 22:00 UTC
        template(SALE, validity_days=2),
        cph(2026, 3, 28, 12),
        cph(2026, 3, 28, 12),
        utc(2026, 3, 29, 22),
    ),
    Case(
        "from-sale/over-european-autumn-dst",  # ends 00:00 CET = 23:00 UTC
        template(SALE, validity_days=2),
        cph(2026, 10, 24, 12),
        cph(2026, 10, 24, 12),
        utc(2026, 10, 25, 23),
    ),
    Case(
        "from-sale/over-new-york-spring-dst",  # ends 00:00 EDT = 04:00 UTC
        template(SALE, validity_days=2),
        nyc(2026, 3, 7, 12),
        nyc(2026, 3, 7, 12),
        utc(2026, 3, 9, 4),
        tz=NYC,
    ),
    Case(
        "from-sale/capped-by-template-valid_until",
        template(SALE, validity_days=3, valid_until=cph(2026, 6, 14, 18)),
        SOLD,
        SOLD,
        cph(2026, 6, 14, 18),
    ),
    Case(
        "from-sale/template-valid_until-later-than-n-days",
        template(SALE, validity_days=3, valid_until=cph(2026, 12, 31)),
        SOLD,
        SOLD,
        cph(2026, 6, 15),
    ),
    Case(
        "from-sale/cap-equal-to-n-days",
        template(SALE, validity_days=1, valid_until=cph(2026, 6, 13)),
        SOLD,
        SOLD,
        cph(2026, 6, 13),
    ),
    Case(
        "from-sale/without-days-falls-back-to-template-window",
        template(SALE, valid_from=cph(2026, 5, 1), valid_until=cph(2026, 10, 1)),
        SOLD,
        cph(2026, 5, 1),
        cph(2026, 10, 1),
    ),
    # N days from first use: settled at the gate, the ticket carries the template's outer bounds
    Case("first-use/no-bounds", template(FIRST_USE, validity_days=2), SOLD, None, None),
    Case(
        "first-use/template-bounds",
        template(FIRST_USE, validity_days=2, valid_from=cph(2026, 5, 1), valid_until=cph(2026, 10, 1)),
        SOLD,
        cph(2026, 5, 1),
        cph(2026, 10, 1),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_stamp_validity(case: Case) -> None:
    valid_from, valid_until = stamp_validity(case.rules, case.sold_at, case.tz)
    assert (valid_from, valid_until) == (case.valid_from, case.valid_until)


STAMPED_AT_GATE = [
    pytest.param(timedelta(0), Reason.OK, id="at-sale"),
    pytest.param(-US, Reason.NOT_YET_VALID, id="1us-before-sale"),
    pytest.param(timedelta(days=1, hours=8, minutes=40) - US, Reason.OK, id="1us-before-midnight-of-day-2"),
    pytest.param(timedelta(days=1, hours=8, minutes=40), Reason.EXPIRED, id="midnight-of-day-2"),
]


@pytest.mark.parametrize(("offset", "reason"), STAMPED_AT_GATE)
def test_stamped_window_at_the_gate(offset: timedelta, reason: Reason) -> None:
    """A two-day ticket sold at 15:20 is valid until the venue's midnight after the next day."""
    rules = template(SALE, validity_days=2)
    valid_from, valid_until = stamp_validity(rules, SOLD, CPH)
    facts = TicketFacts(serial=1, template=rules, valid_from=valid_from, valid_until=valid_until)
    decision = decide(facts, (), GateInfo(name="Main", zone="hall"), Direction.IN, SOLD + offset, CPH)
    assert decision.reason is reason
