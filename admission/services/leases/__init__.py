"""Capacity leases: a manager lends a block of an event's seats to a till or a venue hub, which
sells event tickets offline within it. Granting reserves the seats on the event at once
(`grants.py`); an offline sale posted later counts within its holder's lease or, beyond it, as
a conflict for a manager (`offline_seats.py`); the holder or a manager gives the unused seats
back, exactly once."""

from admission.services.leases.grants import end_lease, grant_lease, list_conflicts, list_leases
from admission.services.leases.offline_seats import count_offline_seats

__all__ = ["count_offline_seats", "end_lease", "grant_lease", "list_conflicts", "list_leases"]
