"""Pure admission rules shared by the service and the scanner client: no I/O here."""
