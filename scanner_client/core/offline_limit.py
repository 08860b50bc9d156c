"""How long a device has been without the service, measured so that a clock set back cannot
hide it, and the venue's limit on admitting offline.

"Offline since" is the device's last successful contact with the service (any answered call:
a probe, a scan, a feed page, an upload). Two measures of the time since, the larger counts:

- the wall clock: now minus the contact's wall time (stored). It sees time while the PC was
  switched off, but a clock set back shrinks it;
- the running time: the monotonic clock, which nobody can set, counted while the client runs
  and saved every minute (and at every contact). It cannot be set back, but knows nothing of
  time while the client was not running.

So setting the clock back gains a thief nothing while the gate runs; only time spent switched
off *and* hidden by a clock set back goes uncounted (the fleet's clock check shows a wrong
clock). A clock set forward stops the gate early: on the safe side, and a supervisor extends.

The limit (`offline_limit_hours`) comes with the venue in the change feed; a supervisor may
extend it once per offline period by one more limit (the extension is in the outage log).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scanner_client.core.database import StoreBase

LIMIT_HOURS = "offline_limit_hours"  # from the venue's feed entry
DEFAULT_LIMIT_HOURS = 24
CONTACT_AT = "last_contact_at"  # wall time of the last answered call, ISO
RUNNING_SECONDS = "offline_running_seconds"  # monotonic seconds counted since then, saved each minute
EXTENDED_AT = "offline_limit_extended_at"  # a supervisor's extension in this offline period
SAVE_EVERY = 60.0


@dataclass(frozen=True, slots=True)
class OfflineAllowance:
    offline_seconds: float
    limit_seconds: float
    extended_at: datetime | None

    @property
    def allowed_seconds(self) -> float:
        return self.limit_seconds * (2 if self.extended_at is not None else 1)

    @property
    def reached(self) -> bool:
        return self.offline_seconds >= self.allowed_seconds


def hours_words(seconds: float) -> str:
    """'3 h 5 min', '45 min', '24 h'."""
    minutes = max(int(seconds // 60), 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def record_contact(store: StoreBase, at: datetime) -> None:
    """Contact now, written at once (enrolment: the device starts from a fresh contact)."""
    store.set_config(**{CONTACT_AT: at.isoformat(), RUNNING_SECONDS: "0", EXTENDED_AT: None})


class OfflineClock:
    def __init__(
        self,
        store: StoreBase,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.clock = clock
        self.monotonic = monotonic
        self._mark = monotonic()
        self._saved_mark = self._mark
        contact = store.get_config(CONTACT_AT)
        if contact is None:  # a store of an older release, or one just made: count from now
            self._contact = clock()
            store.set_config(**{CONTACT_AT: self._contact.isoformat()})
        else:
            self._contact = datetime.fromisoformat(contact)
        self._running = float(store.get_config(RUNNING_SECONDS) or 0)
        self._saved_running = self._running

    @property
    def last_contact(self) -> datetime:
        return self._contact

    def contact(self) -> None:
        """The service answered: offline time starts again from zero (and any extension ends)."""
        now = self.monotonic()
        self._contact, self._mark, self._running = self.clock(), now, 0.0
        # Saved at once after an offline period (a restart must not count it again), and at most
        # once a minute while online: an online gate makes contact every few seconds.
        if self._saved_running or self.store.get_config(EXTENDED_AT) or now - self._saved_mark >= SAVE_EVERY:
            self._save(now, **{CONTACT_AT: self._contact.isoformat(), EXTENDED_AT: None})

    def offline_seconds(self) -> float:
        now = self.monotonic()
        self._running += max(now - self._mark, 0.0)
        self._mark = now
        if now - self._saved_mark >= SAVE_EVERY:
            self._save(now)
        wall = (self.clock() - self._contact).total_seconds()
        return max(self._running, wall)

    def allowance(self) -> OfflineAllowance:
        hours = int(self.store.get_config(LIMIT_HOURS) or DEFAULT_LIMIT_HOURS)
        extended = self.store.get_config(EXTENDED_AT)
        return OfflineAllowance(
            offline_seconds=self.offline_seconds(),
            limit_seconds=hours * 3600.0,
            extended_at=datetime.fromisoformat(extended) if extended else None,
        )

    def extend(self, at: datetime) -> None:
        """A supervisor lets the device admit offline for one more limit period (once)."""
        self.store.set_config(**{EXTENDED_AT: at.isoformat()})

    def _save(self, now: float, **values: str | None) -> None:
        self.store.set_config(**{RUNNING_SECONDS: repr(self._running)}, **values)
        self._saved_mark, self._saved_running = now, self._running
