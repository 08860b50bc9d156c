"""The ordered list of servers a device talks to: a venue hub first and the central service after
it, or the reverse. A device keeps the list as one setting, the URLs separated by commas, so a
device enrolled with one URL reads exactly as before."""

from __future__ import annotations

from collections.abc import Iterable


def parse_servers(value: str | Iterable[str]) -> list[str]:
    """The servers in order, from a comma list or from several values (each may be a comma list);
    blanks and repeats are dropped, the first mention keeps its place."""
    parts = [value] if isinstance(value, str) else list(value)
    servers: list[str] = []
    for part in parts:
        for url in part.split(","):
            url = url.strip().rstrip("/")
            if url and url not in servers:
                servers.append(url)
    return servers


def join_servers(servers: Iterable[str]) -> str:
    """The setting's form of the list."""
    return ",".join(parse_servers(servers))
