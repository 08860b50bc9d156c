"""A box office's own signing key in tests: register it and sign tickets as an offline till does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from admission.domain.codes import SignedTicket, new_serial, public_hex, sign_ticket
from tests.support.venues import bearer


@dataclass
class TillKey:
    key_id: int
    private: Ed25519PrivateKey = field(repr=False)

    def sign(self, template_id: int, event_id: int | None = None, issued_at: datetime | None = None) -> str:
        """A code as a till signs it; with `issued_at`, one that says when it was issued (an event
        ticket sold on a lease is valid from then)."""
        ticket = SignedTicket(
            key_id=self.key_id,
            serial=new_serial(),
            template_id=template_id,
            event_id=event_id,
            issued_at=issued_at,
            valid_from=issued_at if event_id is not None else None,
        )
        return sign_ticket(ticket, self.private)


def register_till_key(client: TestClient, token: str) -> TillKey:  # type: ignore[type-arg]
    private = Ed25519PrivateKey.generate()
    response = client.post(
        "/api/v1/sales/signing-key",
        json={"public_key": public_hex(private.public_key())},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return TillKey(key_id=response.json()["key_id"], private=private)
