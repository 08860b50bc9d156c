"""The service and an offline gate give the same verdict for the same history, whatever the
template's entry rules: random templates (entry counts, re-entry, minimum interval, entries per
day, entry days, admission window, exit before re-entry, pending tickets admitted or not, a random
custom rule expression over every variable), random tickets paid or issued unpaid with random
attributes, random histories over three gates and two zones, random scan times near the
interesting instants, in several time zones.

The service's side is built the way the service builds it: the template's row through
`template_data(...).rules()`, the ticket's record through `facts_of`, the stored admissions in
their order. The gate's side goes the way a gate gets it: the same objects encoded onto the feed,
applied to a real gate store (some passages from the feed, some from the gate's own log), read
back and judged by `LocalJudge` from the ticket's signed code."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admission.contract import Change, EventData, GateData, KeyData, PassageData, VenueData
from admission.db.models import Event, Template
from admission.domain.codes import SignedTicket, sign_ticket
from admission.domain.custom_rules import WEEKDAYS
from admission.domain.model import Decision, Direction, Reason, TemplateKind, Verdict
from admission.domain.rules import decide
from admission.services.catalog.events import event_window
from admission.services.catalog.templates import template_data
from admission.services.scanning.facts import StoredAdmission
from admission.services.tickets.records import TicketRecord, ticket_data
from admission.services.tickets.resolving import facts_of
from scanner_client.gate.settings import open_store
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import LocalJudge

KEY = Ed25519PrivateKey.generate()
SERIAL = 4242
GATES = [
    GateData(id=1, name="Main gate", zone="zoo", from_zone=None, event_id=None),
    GateData(id=2, name="North gate", zone="zoo", from_zone=None, event_id=None),
    GateData(id=3, name="Arena door", zone="arena", from_zone="zoo", event_id=None),  # leaves the zoo
]
ZONES = ["Europe/Copenhagen", "America/New_York", "Asia/Kathmandu", "UTC"]
# A DST night in Europe and one in America, and an ordinary week.
ANCHORS = [datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 11, 1, 2, tzinfo=UTC), datetime(2026, 6, 10, 6, tzinfo=UTC)]
WITHIN_DAYS = timedelta(days=4)
# Each example opens a gate store of its own; in memory-backed /dev/shm when there is one, as
# the store syncs every commit to disk.
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None


def comparisons() -> st.SearchStrategy[dict[str, Any]]:
    """One comparison over each kind of variable, with values that make it change its mind."""

    def compare(name: str, ops: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        def built(op: str, value: Any, more: list[Any]) -> dict[str, Any]:
            return {op: [{"var": name}, [value, *more] if op == "in" else value]}

        return st.builds(built, st.sampled_from(ops), values, st.lists(values, max_size=2))

    every = ["==", "!=", "<", "<=", ">", ">=", "in"]
    times = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 1, 30, 59]))
    return st.one_of(
        compare("weekday", ["==", "!=", "in"], st.sampled_from(WEEKDAYS)),
        compare("time_of_day", every, times),
        compare("zone", ["==", "!=", "in"], st.sampled_from(["zoo", "arena"])),
        compare("gate", ["==", "!=", "in"], st.sampled_from([g.name for g in GATES])),
        compare("entries_today", every, st.integers(0, 4)),
        compare("entries_total", every, st.integers(0, 6)),
        compare("days_since_first_entry", every, st.integers(0, 4)),
        compare("minutes_since_last_entry", every, st.integers(0, 120)),
        compare("attribute.age_group", ["==", "!=", "in"], st.sampled_from(["child", "adult"])),
    )


def rule_expressions() -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        comparisons(),
        lambda inner: st.one_of(
            st.builds(lambda rules: {"and": rules}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda rules: {"or": rules}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda rule: {"not": rule}, inner),
        ),
        max_leaves=6,
    )


ATTRIBUTES = st.none() | st.fixed_dictionaries({"age_group": st.sampled_from(["child", "adult"])})


@st.composite
def templates(draw: st.DrawFn) -> Template:
    kind = draw(st.sampled_from(list(TemplateKind)))
    return Template(
        id=1,
        name="Drawn",
        kind=kind.value,
        plu=None,
        price_cents=0,
        currency="EUR",
        validity_mode="fixed",
        valid_from=None,
        valid_until=None,
        validity_days=None,
        allowed_zones=[],
        allowed_gates=[],
        max_entries=draw(st.none() | st.integers(1, 4)),
        reentry_allowed=draw(st.booleans()),
        min_minutes_between_entries=draw(st.none() | st.integers(0, 90)),
        max_entries_per_day=draw(st.none() | st.integers(1, 3)),
        max_entry_days=draw(st.none() | st.integers(1, 3)),
        entry_minutes_before_start=draw(st.none() | st.integers(0, 120)),
        entry_minutes_after_end=draw(st.none() | st.integers(0, 60)),
        exit_required=draw(st.booleans()),
        allow_pending_entry=draw(st.booleans()),
        custom_rule=draw(st.none() | rule_expressions()),
        fallback_template_id=None,
        active=True,
        title="",
        description="",
        color="#1f6feb",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def offsets() -> st.SearchStrategy[timedelta]:
    return st.timedeltas(min_value=timedelta(0), max_value=WITHIN_DAYS)


@st.composite
def events(draw: st.DrawFn, base: datetime) -> Event:
    starts = base + draw(offsets())
    return Event(
        id=7,
        name="Drawn event",
        starts_at=starts,
        ends_at=starts + draw(st.timedeltas(min_value=timedelta(minutes=30), max_value=timedelta(hours=30))),
        doors_open_minutes=draw(st.integers(0, 120)),
        capacity=None,
    )


@st.composite
def histories(draw: st.DrawFn, base: datetime) -> list[tuple[datetime, GateData, Direction, bool]]:
    """Admitted passages: when, where, which way, and whether the gate learnt it from the feed
    (else it is the gate's own offline passage, not uploaded yet)."""
    return draw(
        st.lists(
            st.tuples(
                offsets().map(lambda offset: base + offset),
                st.sampled_from(GATES),
                st.sampled_from(list(Direction)),
                st.booleans(),
            ),
            max_size=8,
        )
    )


@st.composite
def scan_times(draw: st.DrawFn, base: datetime, history: list[datetime], template: Template, event: Event | None) -> datetime:
    """Anywhere in the period, or a few seconds around an instant where a rule changes its mind:
    an interval's end after a passage, a venue midnight, the event's window."""
    near = [base + draw(offsets())]
    near += [at + timedelta(minutes=template.min_minutes_between_entries or 0) for at in history]
    if event is not None:
        near += [
            event.starts_at - timedelta(minutes=template.entry_minutes_before_start or event.doors_open_minutes),
            event.ends_at + timedelta(minutes=template.entry_minutes_after_end or 0),
        ]
    jitter = draw(st.timedeltas(min_value=timedelta(seconds=-3), max_value=timedelta(seconds=3)))
    return draw(st.sampled_from(near)) + jitter


def by_service(
    template: Template, event: Event | None, history: list[tuple[datetime, GateData, Direction, bool]],
    gate: GateData, direction: Direction, at: datetime, tz: ZoneInfo, payment_state: str = "paid",
    attributes: dict[str, str] | None = None,
) -> Decision:
    record = TicketRecord(
        serial=SERIAL, number=None, code="", key_id=1, template_id=1, event_id=event.id if event else None,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC), valid_from=None, valid_until=None, issued_by=None, sale_id=None,
        payment_state=payment_state,
        attributes=attributes,
    )
    facts = facts_of(record, template_data(template).rules(), event_window(event) if event else None)
    stored = [
        StoredAdmission(
            id=i, nonce=f"n{i}", code="", ticket_serial=SERIAL, device_id=1, gate=g.name, zone=g.zone,
            from_zone=g.from_zone, direction=d.value, scanned_at=when, source="offline", conflict=False,
        )
        for i, (when, g, d, _) in enumerate(history)
    ]
    passages = [s.passage() for s in sorted(stored, key=lambda s: s.order())]
    return decide(facts, passages, gate.info(), direction, at, tz)


def by_gate(
    store: GateStore, template: Template, event: Event | None, history: list[tuple[datetime, GateData, Direction, bool]],
    gate: GateData, direction: Direction, at: datetime, zone: str, payment_state: str = "paid",
    attributes: dict[str, str] | None = None,
) -> Decision:
    record = TicketRecord(
        serial=SERIAL, number=None, code="", key_id=1, template_id=1, event_id=event.id if event else None,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC), valid_from=None, valid_until=None, issued_by=None, sale_id=None,
        payment_state=payment_state,
        attributes=attributes,
    )
    public = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    feed: list[tuple[str, str, msgspec.Struct]] = [
        ("venue", "1", VenueData(name="Drawn venue", timezone=zone)),
        ("key", "1", KeyData(key_id=1, public_key=public, device=None, revoked=False)),
        ("template", "1", template_data(template)),
        *(("gate", g.name, g) for g in GATES),
        ("ticket", str(SERIAL), ticket_data(record)),
    ]
    if event is not None:
        feed.append(("event", "7", EventData(
            id=7, name=event.name, starts_at=event.starts_at, ends_at=event.ends_at,
            doors_open_minutes=event.doors_open_minutes, capacity=None, template_ids=[1],
        )))
    code = sign_ticket(
        SignedTicket(key_id=1, serial=SERIAL, template_id=1, event_id=event.id if event else None, valid_from=None, valid_until=None),
        KEY,
    )
    for i, (when, g, d, from_feed) in enumerate(history):
        if from_feed:
            passage = PassageData(
                nonce=f"n{i}", ticket_serial=str(SERIAL), gate=g.name, zone=g.zone, from_zone=g.from_zone,
                direction=d, scanned_at=when,
            )
            feed.append(("passage", f"n{i}", passage))
    changes = [
        Change(seq=seq, kind=kind, key=key, data=msgspec.Raw(msgspec.json.encode(data)))  # type: ignore[arg-type]
        for seq, (kind, key, data) in enumerate(feed, start=1)
    ]
    store.apply_changes(changes, len(changes))
    for when, g, d, from_feed in history:
        if not from_feed:
            store.record_local(
                device="gate-pc-1", code=code, gate=g, direction=d, scanned_at=when,
                decision=Decision(verdict=Verdict.ADMIT, reason=Reason.OK, message="Welcome"),
                ticket_serial=SERIAL, template_name=template.name,
            )
    return LocalJudge(store).judge(code, gate.info(), direction, at).decision


Situation = tuple[
    Template,
    Event | None,
    list[tuple[datetime, GateData, Direction, bool]],
    GateData,
    Direction,
    datetime,
    str,
    str,
    dict[str, str] | None,
]


@st.composite
def situations(draw: st.DrawFn) -> Situation:
    base = draw(st.sampled_from(ANCHORS))
    template = draw(templates())
    event = draw(events(base)) if template.kind == TemplateKind.EVENT else None
    history = draw(histories(base))
    at = draw(scan_times(base, [when for when, *_ in history], template, event))
    # Paid, or issued unpaid (pay later, invoice): an unpaid ticket may have passages already,
    # admitted while its template let pending tickets in.
    payment_state = draw(st.sampled_from(["paid", "pending"]))
    gate, direction, zone = draw(st.sampled_from(GATES)), draw(st.sampled_from(list(Direction))), draw(st.sampled_from(ZONES))
    return template, event, history, gate, direction, at, zone, payment_state, draw(ATTRIBUTES)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situation=situations())
def test_the_service_and_an_offline_gate_agree_on_every_entry_rule(situation: Situation) -> None:
    template, event, history, gate, direction, at, zone, payment_state, attributes = situation
    service = by_service(template, event, history, gate, direction, at, ZoneInfo(zone), payment_state, attributes)
    with tempfile.TemporaryDirectory(dir=SCRATCH) as folder:
        store = open_store(Path(folder) / "gate")
        try:
            offline = by_gate(store, template, event, history, gate, direction, at, zone, payment_state, attributes)
        finally:
            store.close()
    assert offline == service, (template_data(template), history, at, zone, payment_state, attributes)


def test_the_gate_agrees_on_a_refusal_by_each_rule() -> None:
    """The property test's machinery reaches the refusals it is meant to compare (a test that
    compared nothing but admissions would prove little)."""
    base = datetime(2026, 6, 10, 8, tzinfo=UTC)
    main = GATES[0]

    def template(**rules: object) -> Template:
        fields = {
            "id": 1, "name": "Pass", "kind": "entry", "plu": None, "price_cents": 0, "currency": "EUR",
            "validity_mode": "fixed", "valid_from": None, "valid_until": None, "validity_days": None,
            "allowed_zones": [], "allowed_gates": [], "max_entries": None, "reentry_allowed": False,
            "min_minutes_between_entries": None, "max_entries_per_day": None, "max_entry_days": None,
            "entry_minutes_before_start": None, "entry_minutes_after_end": None, "exit_required": False,
            "allow_pending_entry": False, "fallback_template_id": None, "active": True, "title": "", "description": "", "color": "#1f6feb",
            "created_at": base,
        }
        return Template(**{**fields, **rules})

    entered = [(base, main, Direction.IN, True)]
    cases = [
        (template(), None, [], base, Reason.UNPAID),  # the ticket of this case is issued unpaid
        (template(min_minutes_between_entries=10), None, entered, base + timedelta(minutes=5), Reason.TOO_SOON),
        (template(max_entries_per_day=1), None, entered, base + timedelta(hours=1), Reason.DAILY_LIMIT),
        (template(max_entry_days=1), None, entered, base + timedelta(days=1), Reason.ENTRY_DAYS_USED),
        (template(exit_required=True), None, [(base, main, Direction.IN, False)], base + timedelta(hours=1), Reason.EXIT_REQUIRED),
        (
            template(custom_rule={"or": [{"<": [{"var": "entries_today"}, 1]}, {">=": [{"var": "minutes_since_last_entry"}, 90]}]}),
            None, [(base, main, Direction.IN, False)], base + timedelta(hours=1), Reason.CUSTOM_RULE,
        ),
        (
            template(kind="event", entry_minutes_before_start=10),
            Event(id=7, name="Show", starts_at=base + timedelta(hours=2), ends_at=base + timedelta(hours=4), doors_open_minutes=60, capacity=None),
            [],
            base + timedelta(hours=1),
            Reason.OUTSIDE_ENTRY_WINDOW,
        ),
    ]
    for rules, event, history, at, reason in cases:
        paying = "pending" if reason is Reason.UNPAID else "paid"
        service = by_service(rules, event, history, main, Direction.IN, at, ZoneInfo("Europe/Copenhagen"), paying)
        with tempfile.TemporaryDirectory(dir=SCRATCH) as folder:
            store = open_store(Path(folder) / "gate")
            try:
                offline = by_gate(store, rules, event, history, main, Direction.IN, at, "Europe/Copenhagen", paying)
            finally:
                store.close()
        assert service.reason is reason and offline == service, (reason, service, offline)
