"""The venue file: a venue's set-up (venue, zones, templates, events, gates, payment rules,
devices) in one TOML file, applied idempotently and written back out (docs/venue-file.md)."""

from admission.services.venue_file.applying import apply_venue, plan_venue
from admission.services.venue_file.parsing import SourceMap, VenueFileError, read_venue_file

__all__ = ["SourceMap", "VenueFileError", "apply_venue", "plan_venue", "read_venue_file"]
