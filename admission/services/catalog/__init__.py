"""The venue's catalogue: venue settings, ticket templates, events and gates, and the copy of
it each worker keeps for judging scans."""

from admission.services.catalog.events import (
    create_event,
    event_data,
    event_out,
    event_window,
    get_event,
    list_events,
    show_event,
    update_event,
)
from admission.services.catalog.gates import (
    create_gate,
    gate_by_name,
    gate_data,
    gate_info,
    gates_by_name,
    known_gate,
    list_gates,
)
from admission.services.catalog.scan_catalog import (
    ScanCatalog,
    ScanCatalogCache,
    catalog_version,
    load_scan_catalog,
)
from admission.services.catalog.templates import (
    create_template,
    get_template,
    list_templates,
    show_template,
    template_data,
    update_template,
)
from admission.services.catalog.venue import (
    check_timezone,
    get_venue,
    number_hasher,
    require_aware,
    save_venue,
    show_venue,
    venue_data,
)

__all__ = [
    "ScanCatalog",
    "ScanCatalogCache",
    "catalog_version",
    "check_timezone",
    "create_event",
    "create_gate",
    "create_template",
    "event_data",
    "event_out",
    "event_window",
    "gate_by_name",
    "gate_data",
    "gate_info",
    "gates_by_name",
    "get_event",
    "get_template",
    "get_venue",
    "known_gate",
    "list_events",
    "list_gates",
    "list_templates",
    "load_scan_catalog",
    "number_hasher",
    "require_aware",
    "save_venue",
    "show_event",
    "show_template",
    "show_venue",
    "template_data",
    "update_event",
    "update_template",
    "venue_data",
]
