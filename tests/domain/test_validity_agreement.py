"""A gate that knows a ticket only from its signed code (sold after the gate's last sync) decides
exactly as the service, which knows it from its row: near every validity bound, for any template
and any time. Both read the bounds at the one precision a code can carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from admission.domain.codes import SignedTicket, sign_ticket, verify_signed_code
from admission.domain.model import Direction, GateInfo, TemplateRules, TicketFacts, ValidityMode
from admission.domain.rules import decide
from admission.domain.templates import stamp_validity

KEY = Ed25519PrivateKey.generate()
GATE = GateInfo(name="Main gate", zone="zoo", from_zone=None, event_id=None)
ZONES = [ZoneInfo(name) for name in ("Europe/Stockholm", "Europe/Helsinki", "Asia/Kathmandu", "UTC")]
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@st.composite
def templates(draw: st.DrawFn) -> TemplateRules:
    mode = draw(st.sampled_from(list(ValidityMode)))
    start = draw(st.none() | moments)
    length = draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30)))
    end = draw(st.none() | st.just(start + length if start else None) | moments)
    if start and end and end <= start:
        start, end = end - length, end
    return TemplateRules(
        template_id=1,
        name="Drawn",
        validity_mode=mode,
        valid_from=start,
        valid_until=end,
        validity_days=draw(st.integers(1, 5)) if mode is not ValidityMode.FIXED else None,
        max_entries=None,
    )


@settings(max_examples=200, deadline=None)
@given(
    rules=templates(),
    sold_at=moments,
    zone=st.sampled_from(ZONES),
    bound=st.sampled_from(["from", "until", "sale"]),
    offset=st.timedeltas(min_value=timedelta(minutes=-2), max_value=timedelta(minutes=2)),
)
def test_the_gate_and_the_service_agree_near_validity_bounds(
    rules: TemplateRules, sold_at: datetime, zone: ZoneInfo, bound: str, offset: timedelta
) -> None:
    valid_from, valid_until = stamp_validity(rules, sold_at, zone)
    anchor = {"from": valid_from, "until": valid_until, "sale": sold_at}[bound] or sold_at
    at = anchor + offset

    service = TicketFacts(serial=42, template=rules, valid_from=valid_from, valid_until=valid_until)
    code = sign_ticket(
        SignedTicket(key_id=1, serial=42, template_id=1, event_id=None, valid_from=valid_from, valid_until=valid_until),
        KEY,
    )
    signed = verify_signed_code(code, {1: KEY.public_key()})
    gate = TicketFacts(serial=42, template=rules, valid_from=signed.valid_from, valid_until=signed.valid_until)

    by_service = decide(service, [], GATE, Direction.IN, at, zone)
    by_gate = decide(gate, [], GATE, Direction.IN, at, zone)
    assert (by_gate.verdict, by_gate.reason) == (by_service.verdict, by_service.reason), (
        valid_from, valid_until, signed.valid_from, signed.valid_until, at,
    )
