"""HTTP controllers: thin, each hands a request to a use case in admission.services."""
