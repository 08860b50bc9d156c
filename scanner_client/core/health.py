"""The device's report on itself to the service (fleet health), and its clock's offset.

While online, once a minute, the device's own sync loop (never a thread of its own) measures how
far its clock is from the service's and reports its version, upload queue, last feed read,
connection state and that offset. Offline verdicts and passage times use this PC's clock, so a
clock off by more than the service's limit (the answer to the report names it) is warned on the
device's own status line until it is right again.

Reporting is best effort: a failed report is logged and tried again a minute later; it never
changes the connection state (the uploads and the feed judge the link) and never shows as a
problem. A service of an older release, without the endpoint, is simply not told.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from admission import __version__
from admission.contract import DeviceHealthIn
from admission.domain.wording import clock_offset_words
from admission.i18n import _
from scanner_client.core.connectivity import Clock
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable

log = logging.getLogger(__name__)

REPORT_INTERVAL = 60.0  # seconds between two reports
DEFAULT_CLOCK_LIMIT = 30.0  # the service's default, until its first answer says otherwise
MISSING_ENDPOINT = frozenset({404, 405})


def measure_offset(sent: datetime, service_now: datetime, received: datetime) -> float:
    """This device's clock minus the service's, in seconds (positive: this PC is ahead): the
    service read its clock about half-way through the round trip."""
    midway = sent + (received - sent) / 2
    return (midway - service_now).total_seconds()


class HealthReporter:
    def __init__(self, clock: Clock, interval: float = REPORT_INTERVAL) -> None:
        self.clock = clock
        self.interval = interval
        self.clock_offset: float | None = None  # last measured, seconds
        self.clock_limit = DEFAULT_CLOCK_LIMIT
        self.reported_at: datetime | None = None  # last report the service took
        self._next_due = 0.0  # monotonic: due at once
        self._unsupported = False

    def due(self) -> bool:
        return not self._unsupported and time.monotonic() >= self._next_due

    @property
    def clock_skewed(self) -> bool:
        return self.clock_offset is not None and abs(self.clock_offset) > self.clock_limit

    def clock_warning(self) -> str | None:
        """The status line's warning while this PC's clock is off by more than the limit."""
        if not self.clock_skewed or self.clock_offset is None:
            return None
        return _("CLOCK OFF BY {offset}: set this PC's time (offline verdicts use it)").format(
            offset=clock_offset_words(self.clock_offset)
        )

    async def report(
        self, remote: Remote, *, device: str, queue: int, last_sync_at: datetime | None, online: bool
    ) -> bool:
        """Measure the clock, then report; returns whether the service took the report."""
        self._next_due = time.monotonic() + self.interval
        try:
            sent = self.clock()
            service = await remote.service_clock()
            self.clock_offset = measure_offset(sent, service.now, self.clock())
            ack = await remote.report_health(
                DeviceHealthIn(
                    device=device,
                    version=__version__,
                    queue=queue,
                    last_sync_at=last_sync_at,
                    online=online,
                    clock_offset_seconds=round(self.clock_offset, 3),
                )
            )
        except ServerRefused as exc:
            if exc.status in MISSING_ENDPOINT:
                self._unsupported = True
                log.info("the service takes no health reports (an older release)")
            else:
                log.info("health report refused: %s", exc)
            return False
        except ServerUnavailable as exc:
            log.info("health report not sent: %s", exc)
            return False
        self.clock_limit = ack.clock_skew_limit_seconds
        self.reported_at = ack.received_at
        if self.clock_skewed:
            log.warning("this PC's clock is off by %.1f s from the service's", self.clock_offset)
        return True
