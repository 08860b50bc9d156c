"""Box-office sales: recorded online (capacity reserved atomically, all or nothing) or posted
later by an offline till (idempotent by the device's nonce, tickets registered from their
device-signed codes); an unanswered attempt cancelled by its nonce; looked up, refunded, summed
up at the end of the day; and the till's set-up (its signing key and its certificate, the
venue's payment methods)."""

from admission.services.sales.day_report import day_report, report_for
from admission.services.sales.lookup import find_sales, get_sale, sale_out, show_sale
from admission.services.sales.nonces import cancel_by_nonce
from admission.services.sales.recording import record_sale
from admission.services.sales.refunds import refund_sale
from admission.services.sales.till_setup import (
    certify_key,
    payment_config,
    register_signing_key,
    save_payment_config,
)

__all__ = [
    "cancel_by_nonce",
    "certify_key",
    "day_report",
    "find_sales",
    "get_sale",
    "payment_config",
    "record_sale",
    "refund_sale",
    "register_signing_key",
    "report_for",
    "sale_out",
    "save_payment_config",
    "show_sale",
]
