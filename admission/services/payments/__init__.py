"""Payment routines around the sale: card-terminal incidents, split tenders, invoices, terminal
settlements and their reconciliation, the end of day per till and tender, and cash-up."""
