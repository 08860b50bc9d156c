"""`scanner-client status` and `config`: what this gate PC holds, whether the service answers
it, and how it is tuned."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from admission.domain.codes import now_utc
from admission.i18n import _, current_language, language_name
from admission.i18n.formatting import date_time, number
from scanner_client.core.commands import EXIT_NOT_ENROLLED
from scanner_client.core.offline_limit import OfflineClock, hours_words
from scanner_client.core.paths import data_dir
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable
from scanner_client.core.revocation import revoked_words
from scanner_client.core.servers import join_servers, parse_servers
from scanner_client.gate.commands import load
from scanner_client.gate.offline_limit import offline_limit_words
from scanner_client.gate.settings import Settings, open_store
from scanner_client.gate.store import GateStore
from scanner_client.gate.words import direction_words

TUNING = ("end_pause_ms", "scan_timeout", "failure_threshold", "probe_interval", "feed_wait", "batch_size")


def venue_time(store: GateStore, moment: datetime | None) -> str:
    if moment is None:
        return _("never")
    tz = store.timezone()
    return f"{date_time(moment, tz)} {moment.astimezone(tz).strftime('%Z')}"


def cmd_status(args: argparse.Namespace) -> int:
    revoked = _revoked_status(args)
    if revoked is not None:
        print(revoked)
        return EXIT_NOT_ENROLLED
    store, settings = load(args)
    try:
        servers = parse_servers(settings.server_url)
        reachable = [_("not checked")] * len(servers)
        if not args.no_probe:
            reachable = asyncio.run(_probe(settings))
        outage = store.current_outage()
        flagged = store.flagged()
        venue = store.get_config("venue_name") or "?"
        rows = [
            (_("device"), settings.device),
            (
                _("gate"),
                _("{gate} (direction {direction})").format(
                    gate=settings.gate, direction=direction_words(settings.direction)
                ),
            ),
            (
                _("server"),
                "; ".join(f"{url}: {words}" for url, words in zip(servers, reachable, strict=True)),
            ),
            (_("venue"), f"{venue} ({store.get_config('timezone') or 'UTC'})"),
            (_("language"), language_name(current_language())),
            (
                _("tickets"),
                _("{count} in the local store (feed cursor {cursor})").format(
                    count=number(store.ticket_count()), cursor=store.cursor
                ),
            ),
            (_("last sync"), venue_time(store, store.last_sync_at)),
            (_("unsynced"), _("{count} passages").format(count=store.queued_count())),
            (_("conflicts"), str(sum(1 for p in flagged if p.server_status == "conflict"))),
            (_("refused"), str(sum(1 for p in flagged if p.server_status == "refused"))),
            (_("offline since"), venue_time(store, outage.started_at) if outage else "-"),
            (_("offline limit"), _offline_limit_line(store)),
            (_("supervisor"), _("PIN set") if settings.pin_hash else _("no PIN: overrides disabled")),
        ]
        width = max(len(label) for label, _value in rows)
        print("\n".join(f"{label:{width}} {value}" for label, value in rows))
        return 0
    finally:
        store.close()


def _offline_limit_line(store: GateStore) -> str:
    """The venue's offline limit, and how much of it this gate has used since its last contact."""
    clock = OfflineClock(store, now_utc)
    allowance = clock.allowance()
    line = _("{limit}; {offline} since the last contact with the service ({when})").format(
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


async def _probe(settings: Settings) -> list[str]:
    """How each server in the list answers, in the list's order."""
    async with Remote(settings.server_url, settings.token) as remote:
        return [await _probe_one(remote, index) for index in range(len(remote.servers))]


async def _probe_one(remote: Remote, index: int) -> str:
    try:
        await remote.pinned_me(index, time_limit=3.0)
    except ServerUnavailable as exc:
        return _("unreachable ({error})").format(error=exc)
    except ServerRefused as exc:
        return _("refuses this device ({error})").format(error=exc)
    return _("reachable")


def cmd_config(args: argparse.Namespace) -> int:
    store, settings = load(args)
    try:
        for name in TUNING:
            value = getattr(args, name)
            if value is not None:
                setattr(settings, name, value)
        if args.server:
            settings.server_url = join_servers(args.server)
        settings.save(store)
        print(f"{'servers':18} {', '.join(parse_servers(settings.server_url))}")
        for name in TUNING:
            print(f"{name:18} {getattr(settings, name)}")
        return 0
    finally:
        store.close()
