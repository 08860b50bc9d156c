"""A gate past the venue's offline limit (core/offline_limit.py) admits nobody offline: the words
it shows, and the refusal of a second extension."""

from __future__ import annotations

from admission.i18n import _
from scanner_client.core.offline_limit import OfflineAllowance, hours_words


class LimitAlreadyExtended(RuntimeError):
    """The offline limit cannot be extended (again): the message says why."""


def offline_limit_words(allowance: OfflineAllowance) -> str:
    """Why a gate past its offline limit admits nobody, and what to do next."""
    words = _("Offline for {offline}; this venue's gates admit offline for {limit} at most.").format(
        offline=hours_words(allowance.offline_seconds), limit=hours_words(allowance.limit_seconds)
    )
    if allowance.extended_at is None:
        return words + " " + _(
            "Reconnect the gate to the network, or a supervisor extends the limit once (F7)."
        )
    return words + " " + _("The limit was extended once already: reconnect the gate to the network.")
