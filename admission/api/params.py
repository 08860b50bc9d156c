"""Path and query parameters shared by the controllers, with the limits the database can hold."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar.params import PathParameter, QueryParameter

# Rows are numbered from 1 in 32-bit integer columns (PostgreSQL): a larger number names nothing
# and must be a 400, not a database error.
RowId: TypeAlias = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="row id")]

# Change-feed cursors are 64-bit sequence numbers (PostgreSQL BIGINT).
FeedCursor: TypeAlias = Annotated[
    int,
    QueryParameter(ge=0, le=2**63 - 1, description="cursor of the last change you hold; 0: snapshot"),
]

# A device's nonce for a sale (or a scan), as the wire contract bounds it (`contract.common.Nonce`).
NoncePath: TypeAlias = Annotated[
    str, PathParameter(min_length=1, max_length=100, pattern=r"^[^\x00]+$", description="the device's nonce")
]
