"""Gift and stored-value cards: types, the ledger, the float report."""

from __future__ import annotations

from admission.services.cards.float_report import float_csv, float_report
from admission.services.cards.operations import (
    adjust,
    block,
    cli_nonce,
    expire_cards,
    find_card,
    issue_card,
    move,
    pay_for_sale,
    show_card,
    transfer,
)
from admission.services.cards.sale_parts import card_parts, refund_card_parts
from admission.services.cards.types import (
    card_settings,
    create_card_type,
    list_card_types,
    save_card_settings,
)
from admission.services.cards.vouchers import register_vouchers

__all__ = [
    "adjust",
    "block",
    "card_parts",
    "card_settings",
    "cli_nonce",
    "create_card_type",
    "expire_cards",
    "find_card",
    "float_csv",
    "float_report",
    "issue_card",
    "list_card_types",
    "move",
    "pay_for_sale",
    "refund_card_parts",
    "register_vouchers",
    "save_card_settings",
    "show_card",
    "transfer",
]
