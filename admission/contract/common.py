"""Text types shared by the request bodies: their limits hold on every backend alike."""

from __future__ import annotations

from typing import Annotated

import msgspec

# No NUL characters: PostgreSQL cannot store them in text, and no scanner sends them in these.
Nonce = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]


GateName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]


RawCode = Annotated[str, msgspec.Meta(max_length=2000)]


NO_NUL = r"^[^\x00]+$"  # the same rule on every backend: PostgreSQL cannot store NUL in text


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]


ZoneName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NO_NUL)]


Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]


# Numbers every backend can store: row ids and amounts are 32-bit integer columns on PostgreSQL,
# so a larger number can name nothing and must be refused as the caller's mistake, not fail later.
Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]  # up to ten million in the currency
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
