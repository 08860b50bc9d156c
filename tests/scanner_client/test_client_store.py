from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from admission.contract import BatchResult
from admission.domain.codes import now_utc
from admission.domain.model import Decision, Direction, Reason, Verdict
from scanner_client.gate.settings import Settings, hash_pin, open_store, verify_pin
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import DEVICE, VenueSnapshot, ticket_data

ADMIT = Decision(verdict=Verdict.ADMIT, reason=Reason.OK, message="Welcome")
REJECT = Decision(verdict=Verdict.REJECT, reason=Reason.INVALID, message="Not a valid ticket")


def test_snapshot_lookup_by_serial_and_number(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    by_serial = store.ticket_by_serial(ticket.serial)
    by_number = store.ticket_by_number(ticket.number)
    assert by_serial is not None and by_serial == by_number
    assert by_serial.template_id == VenueSnapshot.SINGLE and not by_serial.void
    assert store.ticket_by_number("0000000000000") is None
    assert store.cursor == venue.cursor
    assert store.get_config("timezone") == "Europe/Berlin"
    assert {t.name for t in store.templates().values()} >= {"Day ticket", "Season pass"}


def test_later_changes_supersede_earlier_ones(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.add("ticket", str(ticket.serial), ticket_data(ticket, status="void", void_reason="refunded"))
    venue.apply(store)  # both changes in one page: the later one wins
    stored = store.ticket_by_serial(ticket.serial)
    assert stored is not None and stored.void and stored.void_reason == "refunded"


def test_feed_passages_dedupe_and_annulment(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.TRIPLE)
    venue.passage(ticket, "other-1", gate="Hall", zone="hall")
    venue.passage(ticket, "other-1", gate="Hall", zone="hall")
    venue.passage(ticket, "other-2")
    venue.apply(store)
    assert sorted(p.gate_name for p in store.admitted_passages(ticket.serial)) == ["Hall", "Main"]
    venue.passage(ticket, "other-2", annulled=True)
    venue.apply(store)
    assert [p.gate_name for p in store.admitted_passages(ticket.serial)] == ["Hall"]


def test_nonce_sequence_survives_reopening(data_dir: Path, store: GateStore) -> None:
    gate = store.gate("Main")
    assert gate is not None
    first = store.begin_passage(
        device=DEVICE, code="X", gate=gate, direction=Direction.IN, scanned_at=now_utc()
    )
    second = store.record_local(
        device=DEVICE,
        code="Y",
        gate=gate,
        direction=Direction.IN,
        scanned_at=now_utc(),
        decision=REJECT,
        ticket_serial=None,
        template_name=None,
    )
    assert (first, second) == (f"{DEVICE}-1", f"{DEVICE}-2")
    store.mark_shown(second)
    store.close()
    reopened = open_store(data_dir)
    # The unanswered online scan was never shown, so nobody passed: it is uploaded as such, so
    # that the server annuls its admission if it did admit it.
    assert reopened.mark_interrupted() == 1
    interrupted = reopened.passage(first)
    assert interrupted is not None and interrupted.source == "interrupted"
    assert (interrupted.verdict, interrupted.reason) == (Verdict.REJECT, Reason.TURNED_AWAY)
    third = reopened.record_local(
        device=DEVICE,
        code="Z",
        gate=gate,
        direction=Direction.IN,
        scanned_at=now_utc(),
        decision=REJECT,
        ticket_serial=None,
        template_name=None,
    )
    assert third == f"{DEVICE}-3"
    reopened.mark_shown(third)
    assert [p.nonce for p in reopened.queued(10)] == [first, second, third]
    reopened.close()


def test_queue_leaves_only_acknowledged_passages(store: GateStore) -> None:
    gate = store.gate("Main")
    assert gate is not None
    nonces = [
        store.record_local(
            device=DEVICE,
            code=str(i),
            gate=gate,
            direction=Direction.IN,
            scanned_at=now_utc(),
            decision=ADMIT,
            ticket_serial=i + 1,
            template_name="Day ticket",
        )
        for i in range(3)
    ]
    for nonce in nonces:
        store.mark_shown(nonce)
    store.acknowledge(
        [
            BatchResult(nonce=nonces[0], status="registered", verdict=Verdict.ADMIT, reason=Reason.OK),
            BatchResult(
                nonce=nonces[2], status="conflict", verdict=Verdict.REJECT, reason=Reason.ALREADY_USED
            ),
        ],
        now_utc(),
    )
    assert [p.nonce for p in store.queued(10)] == [nonces[1]]
    flagged = store.flagged()
    assert [(p.nonce, p.server_status, p.server_reason) for p in flagged] == [
        (nonces[2], "conflict", "already_used")
    ]
    store.refuse(nonces[1], "422 Validation failed", now_utc())
    assert store.queued_count() == 0
    assert {p.server_status for p in store.flagged()} == {"conflict", "refused"}


def test_outage_is_registered_when_its_passages_are_acknowledged(store: GateStore) -> None:
    gate = store.gate("Main")
    assert gate is not None
    start = now_utc()
    outage = store.open_outage(DEVICE, start)
    assert store.open_outage(DEVICE, start + timedelta(seconds=5)).id == outage.id  # still the same one
    nonce = store.record_local(
        device=DEVICE,
        code="1",
        gate=gate,
        direction=Direction.IN,
        scanned_at=start,
        decision=ADMIT,
        ticket_serial=1,
        template_name=None,
        outage_id=outage.id,
    )
    store.close_outage(start + timedelta(minutes=10))
    (closed,) = store.outages_to_post()
    assert closed.passages_offline == 1 and closed.registered_at is None
    store.acknowledge(
        [BatchResult(nonce=nonce, status="registered", verdict=Verdict.ADMIT, reason=Reason.OK)],
        start + timedelta(minutes=11),
    )
    (registered,) = store.outages_to_post()
    assert registered.registered_at == start + timedelta(minutes=11)
    store.mark_outage_posted(registered.id, final=True)
    assert store.outages_to_post() == []
    assert store.open_outage(DEVICE, start + timedelta(hours=1)).id != outage.id


def test_counters_count_this_gate_today(store: GateStore) -> None:
    gate = store.gate("Main")
    assert gate is not None
    now = now_utc()
    for decision, direction in (
        (ADMIT, Direction.IN),
        (ADMIT, Direction.IN),
        (ADMIT, Direction.OUT),
        (REJECT, Direction.IN),
    ):
        store.record_local(
            device=DEVICE,
            code="c",
            gate=gate,
            direction=direction,
            scanned_at=now,
            decision=decision,
            ticket_serial=None,
            template_name=None,
        )
    counters = store.counters("Main", now - timedelta(hours=1))
    assert (counters.admitted, counters.rejected, counters.entered, counters.exited) == (3, 1, 2, 1)
    assert store.counters("Hall", now - timedelta(hours=1)).admitted == 0


def test_settings_round_trip_and_pin_hashing(store: GateStore) -> None:
    settings = Settings.load(store)
    assert settings.device == DEVICE and settings.gate == "Main" and settings.direction is Direction.IN
    # Stored as a salted scrypt hash, never as the PIN itself (a hex digest may contain any
    # four digits by chance, so the check is on the form, not on a substring).
    assert settings.pin_hash and settings.pin_hash.startswith("scrypt$")
    assert len(settings.pin_hash.split("$")) == 3 and settings.pin_hash != "2468"
    assert verify_pin("2468", settings.pin_hash)
    assert not verify_pin("2469", settings.pin_hash)
    assert not verify_pin("2468", None)
    assert hash_pin("1") != hash_pin("1")  # salted
