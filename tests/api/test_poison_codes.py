"""A code no ticket can carry (a serial beyond the 63 bits every ticket has) is refused as not a
ticket, online and in a batch; it never fails the request, nor blocks a gate's other passages."""

from __future__ import annotations

import struct

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from admission.domain import codes
from tests.api.test_batches import passage, post_batch
from tests.support.venues import bearer


def code_with_serial(serial: int) -> str:
    payload = struct.pack(">BHQIIII", codes.CODE_VERSION, 1, serial, 1, 0, 0, 0)
    return codes.encode_symbols(payload + bytes(64), codes.SIGNED_CODE_LENGTH)


@pytest.mark.parametrize("serial", [2**63, 2**64 - 1, 0])
def test_an_impossible_serial_is_not_a_code(serial: int) -> None:
    with pytest.raises(codes.CodeError, match="serial"):
        codes.read_signed_code(code_with_serial(serial))


def test_an_online_scan_of_an_impossible_serial_is_a_normal_reject(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/scans",
        json={"code": code_with_serial(2**63), "gate": "Main gate", "nonce": "poison-online-1"},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["verdict"], response.json()["reason"]) == ("reject", "invalid")


def test_a_poison_passage_does_not_block_the_rest_of_its_batch(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    good = [t for t in venue.tickets if t.template == "Day ticket"][:2]
    batch = [
        passage("poison-b-1", good[0].number, "Main gate", 30),
        passage("poison-b-2", code_with_serial(2**64 - 1), "Main gate", 29, "reject", "invalid"),
        passage("poison-b-3", good[1].number, "Main gate", 28),
    ]
    results = post_batch(client, venue, "Main gate", "gate-main", batch)
    assert [r["status"] for r in results] == ["registered"] * 3
    assert (results[1]["verdict"], results[1]["reason"]) == ("reject", "invalid")
    again = post_batch(client, venue, "Main gate", "gate-main", batch)
    assert [r["status"] for r in again] == ["duplicate"] * 3
