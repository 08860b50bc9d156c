"""A till's sale as a venue hub forwards it to the central service (docs/hub.md): the till's own
request, unchanged, in the till's name."""

from __future__ import annotations

from typing import Annotated

import msgspec

from admission.contract.sales import SaleIn


class HubSaleIn(msgspec.Struct, kw_only=True):
    device: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # the till that sold it
    sale: SaleIn  # exactly as the till sent it to the hub, under the till's nonce
