"""Template rules applied at sale time: the validity window stamped on a new ticket."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from admission.domain.codes import to_code_precision
from admission.domain.model import TemplateRules, ValidityMode
from admission.domain.rules import end_of_local_day


def stamp_validity(
    rules: TemplateRules, sold_at: datetime, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """(valid_from, valid_until) printed into a ticket sold at `sold_at`.

    Fixed windows come from the template. "N days from sale" runs from the sale to the end of
    the venue's N-th day. "N days from first use" is settled at the gate; the ticket carries
    only the template's outer bounds, if any. Both bounds are whole minutes, the precision of a
    signed code (`to_code_precision`).
    """
    if rules.validity_mode is ValidityMode.DAYS_FROM_SALE and rules.validity_days:
        until = end_of_local_day(sold_at, rules.validity_days, tz)
        if rules.valid_until is not None:
            until = min(until, rules.valid_until)
        return to_code_precision(sold_at), to_code_precision(until)
    return to_code_precision(rules.valid_from), to_code_precision(rules.valid_until)
