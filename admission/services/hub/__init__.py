"""A venue hub: the same service run at a venue with `--upstream`, forwarding what its gates
registered to the central service (docs/hub.md)."""

from admission.services.hub.forwarding import Forwarded, HubForwarder, owed_scans, record_forwarded
from admission.services.hub.upstream import Upstream, UpstreamRefused, UpstreamUnavailable

__all__ = [
    "Forwarded",
    "HubForwarder",
    "Upstream",
    "UpstreamRefused",
    "UpstreamUnavailable",
    "owed_scans",
    "record_forwarded",
]
