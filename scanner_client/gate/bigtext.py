"""Block letters for the verdict word: readable from a step away, on any terminal font."""

from __future__ import annotations

_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": (" ███ ", "█   █", "█████", "█   █", "█   █"),
    "C": (" ████", "█    ", "█    ", "█    ", " ████"),
    "D": ("████ ", "█   █", "█   █", "█   █", "████ "),
    "E": ("█████", "█    ", "████ ", "█    ", "█████"),
    "G": (" ████", "█    ", "█  ██", "█   █", " ████"),
    "H": ("█   █", "█   █", "█████", "█   █", "█   █"),
    "I": ("█████", "  █  ", "  █  ", "  █  ", "█████"),
    "J": ("  ███", "    █", "    █", "█   █", " ███ "),
    "K": ("█   █", "█  █ ", "███  ", "█  █ ", "█   █"),
    "M": ("█   █", "██ ██", "█ █ █", "█   █", "█   █"),
    "N": ("█   █", "██  █", "█ █ █", "█  ██", "█   █"),
    "R": ("████ ", "█   █", "████ ", "█  █ ", "█   █"),
    "T": ("█████", "  █  ", "  █  ", "  █  ", "  █  "),
    " ": ("   ", "   ", "   ", "   ", "   "),
}


def big(word: str) -> str:
    """`word` in 5-line block letters; letters without a glyph are left out."""
    glyphs = [_GLYPHS[ch] for ch in word.upper() if ch in _GLYPHS]
    return "\n".join(" ".join(glyph[row] for glyph in glyphs) for row in range(5))
