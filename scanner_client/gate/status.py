"""`scanner-client status` and `config`: what this gate PC holds, whether the service answers
it, and how it is tuned."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from admission.domain.codes import now_utc
from admission.i18n import _
from scanner_client.core.commands import EXIT_NOT_ENROLLED
from scanner_client.core.offline_limit import OfflineClock, hours_words
from scanner_client.core.paths import data_dir
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable
from scanner_client.core.revocation import revoked_words
from scanner_client.gate.commands import load
from scanner_client.gate.offline_limit import offline_limit_words
from scanner_client.gate.settings import Settings, open_store
from scanner_client.gate.store import GateStore

TUNING = ("end_pause_ms", "scan_timeout", "failure_threshold", "probe_interval", "feed_wait", "batch_size")


def venue_time(store: GateStore, moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(store.timezone()).strftime("%Y-%m-%d %H:%M:%S %Z")


def cmd_status(args: argparse.Namespace) -> int:
    revoked = _revoked_status(args)
    if revoked is not None:
        print(revoked)
        return EXIT_NOT_ENROLLED
    store, settings = load(args)
    try:
        reachable = "not checked"
        if not args.no_probe:
            reachable = asyncio.run(_probe(settings))
        outage = store.current_outage()
        flagged = store.flagged()
        lines = [
            f"device        {settings.device}",
            f"gate          {settings.gate} (direction {settings.direction.value})",
            f"server        {settings.server_url}: {reachable}",
            f"venue         {store.get_config('venue_name') or '?'} "
            f"({store.get_config('timezone') or 'UTC'})",
            f"tickets       {store.ticket_count():,} in the local store (feed cursor {store.cursor})",
            f"last sync     {venue_time(store, store.last_sync_at)}",
            f"unsynced      {store.queued_count()} passages",
            f"conflicts     {sum(1 for p in flagged if p.server_status == 'conflict')}",
            f"refused       {sum(1 for p in flagged if p.server_status == 'refused')}",
            f"offline since {venue_time(store, outage.started_at)}" if outage else "offline since -",
            _offline_limit_line(store),
            f"supervisor    {'PIN set' if settings.pin_hash else 'no PIN: overrides disabled'}",
        ]
        print("\n".join(lines))
        return 0
    finally:
        store.close()


def _offline_limit_line(store: GateStore) -> str:
    """The venue's offline limit, and how much of it this gate has used since its last contact."""
    clock = OfflineClock(store, now_utc)
    allowance = clock.allowance()
    line = _("offline limit {limit}; {offline} since the last contact with the service ({when})").format(
        limit=hours_words(allowance.limit_seconds),
        offline=hours_words(allowance.offline_seconds),
        when=venue_time(store, clock.last_contact),
    )
    if allowance.extended_at is not None:
        line += "; " + _("extended once by a supervisor at {when}").format(
            when=venue_time(store, allowance.extended_at)
        )
    if allowance.reached:
        line += "\n" + offline_limit_words(allowance)
    return line


def _revoked_status(args: argparse.Namespace) -> str | None:
    """A revoked gate's status: when, and what to do next (its store holds nothing else)."""
    store = open_store(data_dir(args.data_dir))
    try:
        if store.revoked_at is None:
            return None
        lines = [
            f"device        {store.get_config('device') or '?'}",
            f"gate          {store.get_config('gate') or '?'}",
            _("state         REVOKED on {when}").format(when=venue_time(store, store.revoked_at)),
            "",
            revoked_words(store.revoked_kept),
        ]
        if store.revoked_kept:
            lines.append(
                _("Register them at the service: admission import-scans FILE --gate GATE --direction in|out "
                  "(each file's name says its gate and direction).")
            )
        return "\n".join(lines)
    finally:
        store.close()


async def _probe(settings: Settings) -> str:
    async with Remote(settings.server_url, settings.token) as remote:
        try:
            await remote.me(time_limit=3.0)
        except ServerUnavailable as exc:
            return f"unreachable ({exc})"
        except ServerRefused as exc:
            return f"refuses this device ({exc})"
    return "reachable"


def cmd_config(args: argparse.Namespace) -> int:
    store, settings = load(args)
    try:
        for name in TUNING:
            value = getattr(args, name)
            if value is not None:
                setattr(settings, name, value)
        settings.save(store)
        for name in TUNING:
            print(f"{name:18} {getattr(settings, name)}")
        return 0
    finally:
        store.close()
