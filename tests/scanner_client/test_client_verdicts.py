from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.contract import KeyData
from admission.domain.codes import format_ticket_number, new_serial, now_utc
from admission.domain.model import Direction, GateInfo, Reason, Verdict
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import LocalJudge
from tests.scanner_client.client_support import DEVICE, VenueSnapshot

MAIN = GateInfo(name="Main", zone="park")
HALL = GateInfo(name="Hall", zone="hall", from_zone="park")


def record(
    store: GateStore,
    judge: LocalJudge,
    code: str,
    gate: str = "Main",
    direction: Direction = Direction.IN,
    at: datetime | None = None,
) -> tuple[Verdict, Reason, str]:
    """Decide locally and record the passage, as an offline scan does."""
    gate_data = store.gate(gate)
    assert gate_data is not None
    at = at or now_utc()
    judgement = judge.judge(code, gate_data.info(), direction, at)
    store.record_local(
        device=DEVICE,
        code=code,
        gate=gate_data,
        direction=direction,
        scanned_at=at,
        decision=judgement.decision,
        ticket_serial=judgement.ticket_serial,
        template_name=judgement.template_name,
    )
    d = judgement.decision
    return d.verdict, d.reason, d.message


def test_number_admits_once_then_says_where_and_when(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    judge = LocalJudge(store)
    at = datetime(2030, 6, 1, 8, 32, tzinfo=UTC)
    assert record(store, judge, ticket.number, at=at)[:2] == (Verdict.ADMIT, Reason.OK)
    verdict, reason, message = record(store, judge, ticket.number, at=at + timedelta(minutes=5))
    assert (verdict, reason) == (Verdict.REJECT, Reason.ALREADY_USED)
    assert message == "Already used at Main at 10:32"  # venue time (Berlin, summer)


def test_scanner_noise_around_a_number_is_normalised(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.TRIPLE)
    venue.apply(store)
    judge = LocalJudge(store)
    for raw in (
        f"  {format_ticket_number(ticket.number)}\r",
        f"]C0{ticket.number}\t",
        f"\x02{ticket.number}\x03",
    ):
        assert judge.judge(raw, MAIN, Direction.IN, now_utc()).decision.verdict is Verdict.ADMIT, raw


def test_signed_code_of_a_ticket_sold_after_the_last_sync(store: GateStore, venue: VenueSnapshot) -> None:
    unsynced = venue.issue(VenueSnapshot.SINGLE, in_snapshot=False)
    judge = LocalJudge(store)
    assert store.ticket_by_serial(unsynced.serial) is None
    assert record(store, judge, unsynced.code.lower())[:2] == (Verdict.ADMIT, Reason.OK)
    # Its own passage log knows it now, even though the snapshot never did.
    assert record(store, judge, unsynced.code)[:2] == (Verdict.REJECT, Reason.ALREADY_USED)


def test_forged_and_revoked_signatures_are_invalid(store: GateStore, venue: VenueSnapshot) -> None:
    judge = LocalJudge(store)
    forged = venue.sign(new_serial(), VenueSnapshot.SINGLE, key=Ed25519PrivateKey.generate())
    decision = judge.judge(forged, MAIN, Direction.IN, now_utc()).decision
    assert (decision.verdict, decision.reason) == (Verdict.REJECT, Reason.INVALID)
    assert "forged" in decision.message
    unknown_key = venue.sign(new_serial(), VenueSnapshot.SINGLE, key_id=99)
    assert judge.judge(unknown_key, MAIN, Direction.IN, now_utc()).decision.reason is Reason.INVALID

    good = venue.issue(VenueSnapshot.SINGLE, in_snapshot=False)
    key = next(k for k in store.issuer_keys() if k.key_id == venue.key_id)
    venue.add(
        "key",
        str(key.key_id),
        KeyData(key_id=key.key_id, public_key=key.public_key, device=None, revoked=True),
    )
    venue.apply(store)
    assert judge.judge(good.code, MAIN, Direction.IN, now_utc()).decision.reason is Reason.INVALID


def test_void_wrong_zone_exit_and_event_rules(store: GateStore, venue: VenueSnapshot) -> None:
    void = venue.issue(VenueSnapshot.SINGLE, status="void", void_reason="refunded")
    hall_only = venue.issue(VenueSnapshot.HALL_ONLY)
    concert = venue.issue(VenueSnapshot.CONCERT, event_id=1)
    venue.apply(store)
    judge = LocalJudge(store)
    now = now_utc()
    d = judge.judge(void.code, MAIN, Direction.IN, now).decision
    assert (d.reason, d.message) == (Reason.VOID, "Ticket is void: refunded")
    assert judge.judge(hall_only.number, MAIN, Direction.IN, now).decision.reason is Reason.WRONG_GATE
    assert judge.judge(hall_only.number, HALL, Direction.IN, now).decision.verdict is Verdict.ADMIT
    assert (
        judge.judge(void.number, MAIN, Direction.OUT, now).decision.verdict is Verdict.ADMIT
    )  # exits are free
    assert judge.judge(concert.code, MAIN, Direction.IN, now).decision.verdict is Verdict.ADMIT
    # The concert runs from an hour ago for five hours: late in the day it ends tomorrow, so
    # the day after tomorrow is the first day that is surely not one of its days.
    later = now + timedelta(days=2)
    assert judge.judge(concert.code, MAIN, Direction.IN, later).decision.reason is Reason.EVENT_NOT_TODAY


def test_passages_from_other_gates_count(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    seen = datetime(2030, 1, 15, 9, 5, tzinfo=UTC)
    venue.passage(ticket, "gate-pc-2-17", gate="East", zone="park", at=seen)
    venue.apply(store)
    judge = LocalJudge(store)
    d = judge.judge(ticket.code, MAIN, Direction.IN, seen + timedelta(minutes=1)).decision
    assert (d.reason, d.message) == (Reason.ALREADY_USED, "Already used at East at 10:05")  # Berlin winter
    venue.passage(ticket, "gate-pc-2-17", annulled=True)  # that turnstile did not turn
    venue.apply(store)
    assert judge.judge(ticket.code, MAIN, Direction.IN, now_utc()).decision.verdict is Verdict.ADMIT


def test_multi_entry_and_reentry(store: GateStore, venue: VenueSnapshot) -> None:
    card = venue.issue(VenueSnapshot.TRIPLE)
    season = venue.issue(VenueSnapshot.SEASON)
    venue.apply(store)
    judge = LocalJudge(store)
    start = now_utc()
    results = [record(store, judge, card.number, at=start + timedelta(minutes=i)) for i in range(4)]
    assert [r[1] for r in results] == [Reason.OK, Reason.OK, Reason.OK, Reason.ENTRIES_EXHAUSTED]
    assert record(store, judge, season.number, at=start)[0] is Verdict.ADMIT
    assert (
        record(store, judge, season.number, direction=Direction.OUT, at=start + timedelta(minutes=1))[0]
        is Verdict.ADMIT
    )
    assert record(store, judge, season.number, at=start + timedelta(minutes=2))[2] == "Re-entry"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello world",
        "1234567890123",  # check digit wrong
        "9" * 5000,  # overlong
        "\x00\xff\xfe\x1b[2J\x07" * 50,  # binary noise from a misconfigured scanner
        "\ud800",  # a lone surrogate, as a broken decoder can produce
        "B" * 152,  # right length and alphabet, but not a valid payload
        "Ω≈ç√∫µ≤≥÷" * 10,
    ],
)
def test_garbage_is_rejected_invalid_never_raised(store: GateStore, raw: str) -> None:
    judgement = LocalJudge(store).judge(raw, MAIN, Direction.IN, now_utc())
    assert (judgement.decision.verdict, judgement.decision.reason) == (Verdict.REJECT, Reason.INVALID)
    assert (
        judgement.decision.message.startswith("Not a valid ticket") or "Unknown" in judgement.decision.message
    )


def test_unknown_number_and_unknown_template(store: GateStore, venue: VenueSnapshot) -> None:
    judge = LocalJudge(store)
    missing = venue.issue(VenueSnapshot.SINGLE, in_snapshot=False)
    assert (
        judge.judge(missing.number, MAIN, Direction.IN, now_utc()).decision.message == "Unknown ticket number"
    )
    strange = venue.sign(new_serial(), template_id=999)
    assert "sync needed" in judge.judge(strange, MAIN, Direction.IN, now_utc()).decision.message


def test_venue_time_zone_is_used(store: GateStore) -> None:
    assert LocalJudge(store).tz == ZoneInfo("Europe/Berlin")
