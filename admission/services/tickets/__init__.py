"""Tickets: issue (in bulk), resolve a scanned code, look up, mark paid, void and reissue."""

from admission.services.tickets.issuing import check_sellable, issue, issue_tickets, reserve_capacity
from admission.services.tickets.lifecycle import (
    entries_left,
    entries_used,
    get_ticket,
    look_up,
    mark_paid,
    reissue_ticket,
    ticket_detail,
    void_ticket,
)
from admission.services.tickets.records import (
    TicketFields,
    TicketRecord,
    insert_tickets,
    ticket_data,
    ticket_out,
)
from admission.services.tickets.resolving import (
    CODE_MISMATCH,
    Resolved,
    admitted_passages,
    facts_of,
    find_ticket,
    resolve_code,
    ticket_facts,
)

__all__ = [
    "CODE_MISMATCH",
    "Resolved",
    "TicketFields",
    "TicketRecord",
    "admitted_passages",
    "check_sellable",
    "entries_left",
    "entries_used",
    "facts_of",
    "find_ticket",
    "get_ticket",
    "insert_tickets",
    "issue",
    "issue_tickets",
    "look_up",
    "mark_paid",
    "reissue_ticket",
    "reserve_capacity",
    "resolve_code",
    "ticket_data",
    "ticket_detail",
    "ticket_facts",
    "ticket_out",
    "void_ticket",
]
