"""Summarise a py-spy collapsed-stack profile (`--format raw`) written by `--profile FILE`.

Prints the functions with the most samples, inclusive (anywhere on the stack) and exclusive
(on top of the stack), optionally only frames whose file path contains `--only TEXT`.

    python bench/profile_summary.py FILE [--top 25] [--only admission/]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=150)


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def tally(stacks: list[tuple[list[str], int]], only: str) -> tuple[Counter[str], Counter[str], int]:
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for frames, count in stacks:
        total += count
        for frame in set(frames):
            if only in frame:
                inclusive[frame] += count
        top = [f for f in frames if only in f]
        if top:
            exclusive[top[-1]] += count
    return inclusive, exclusive, total


def show(title: str, counts: Counter[str], total: int, top: int) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("share", justify="right")
    table.add_column("frame")
    for frame, count in counts.most_common(top):
        table.add_row(f"{100 * count / total:.1f}%", frame[-130:])
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default="", help="only frames whose text contains this")
    args = parser.parse_args()
    inclusive, exclusive, total = tally(parse(args.profile), args.only)
    console.print(f"{total:,} samples in {args.profile}")
    show("inclusive (on the stack)", inclusive, total, args.top)
    show(f"exclusive (innermost frame matching {args.only!r})", exclusive, total, args.top)


if __name__ == "__main__":
    main()
