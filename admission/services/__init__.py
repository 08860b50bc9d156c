"""Use cases of the service: they combine the pure domain rules with storage."""
