"""Small words the gate shows in several places (screen, status bar, commands), in its language."""

from __future__ import annotations

from admission.domain.model import Direction, Verdict
from admission.i18n import _


def direction_words(direction: Direction) -> str:
    return _("in") if direction is Direction.IN else _("out")


def mode_words(mode: str) -> str:
    """How a verdict was reached: "online" (by the service) or "offline" (by the gate)."""
    return {"online": _("online"), "offline": _("offline")}.get(mode, mode)


def verdict_words(verdict: Verdict | None) -> str:
    if verdict is None:
        return "?"
    return _("admit") if verdict is Verdict.ADMIT else _("reject")
