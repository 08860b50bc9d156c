"""The till's former package name, kept so `python -m scanner_client.box_office` still works (see
`scanner_client.till`)."""
