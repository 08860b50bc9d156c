"""Ticket numbers as gates keep them: a deliberately slow keyed hash, never the number itself.

A ticket number is 12 random digits and a check digit, so there are 10^12 of them. A gate that
decides typed numbers offline must be able to compute the hash of a typed number, so it holds the
venue's key, and so does whoever steals the gate. The key therefore only stops precomputed tables
(every venue has its own); what protects the numbers is the cost of one hash. scrypt with
n=2^10, r=8 (1 MiB of memory, a few milliseconds on one core) is paid once per ticket by the
service and once per typed number by the gate; a thief pays it once per guess. The arithmetic is
in docs/security.md.

The spec string travels in the feed (`VenueData.number_hashing`) so that the parameters can be
changed later without guessing: `scrypt:<n>:<r>:<p>:<key hex>`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

SCHEME = "scrypt"
DEFAULT_N, DEFAULT_R, DEFAULT_P = 2**10, 8, 1
DIGEST_BYTES = 16


class NumberHashSpecError(ValueError):
    """The hashing spec is not one this release understands."""


@dataclass(frozen=True, slots=True)
class NumberHasher:
    key: bytes
    n: int = DEFAULT_N
    r: int = DEFAULT_R
    p: int = DEFAULT_P

    @classmethod
    def new(cls) -> NumberHasher:
        return cls(key=secrets.token_bytes(16))

    @classmethod
    def parse(cls, spec: str) -> NumberHasher:
        try:
            scheme, n, r, p, key = spec.split(":")
            if scheme != SCHEME:
                raise NumberHashSpecError(f"unknown number hashing scheme {scheme!r}")
            return cls(key=bytes.fromhex(key), n=int(n), r=int(r), p=int(p))
        except ValueError as exc:
            raise NumberHashSpecError(f"malformed number hashing spec: {exc}") from exc

    @property
    def spec(self) -> str:
        return f"{SCHEME}:{self.n}:{self.r}:{self.p}:{self.key.hex()}"

    def __call__(self, number: str) -> str:
        """The hash of a ticket number (13 digits, as `codes.classify_scan` gives it)."""
        digest = hashlib.scrypt(
            number.encode("ascii"), salt=self.key, n=self.n, r=self.r, p=self.p, maxmem=64 * 2**20,
            dklen=DIGEST_BYTES,
        )  # fmt: skip
        return digest.hex()

    def many(self, numbers: Iterable[str | None]) -> list[str | None]:
        return [None if number is None else self(number) for number in numbers]
