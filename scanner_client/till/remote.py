"""The service's HTTP API as the box office uses it: the gate client's `Remote` (errors split into
`ServerUnavailable` and `ServerRefused`, token only in a header) plus the sales endpoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from admission.contract import (
    CertificateIn,
    EventData,
    IssuedToken,
    RefundIn,
    SaleCancelOut,
    SaleIn,
    SaleOut,
    SalesReport,
    SigningKeyIn,
    SigningKeyOut,
    TemplateData,
    TicketOut,
    TillCertificate,
)
from admission.contract.leases import LeaseOut
from admission.contract.payments import TerminalIncidentIn, TerminalIncidentOut
from admission.domain.payments import PaymentConfig
from scanner_client.core.remote import Remote, problem_text

__all__ = ["BoxOfficeRemote", "EventAvailability", "problem_text"]

SALE_TIMEOUT = 8.0  # an event sale waits for the capacity check; longer means the link is gone


class EventAvailability(EventData, kw_only=True):
    sold: int
    remaining: int | None


class BoxOfficeRemote(Remote):
    async def sell(self, request: SaleIn, time_limit: float = SALE_TIMEOUT) -> SaleOut:
        response = await self._request("POST", "/sales", body=request, time_limit=time_limit)
        return self._decode(response, SaleOut)

    async def cancel_by_nonce(self, nonce: str) -> SaleCancelOut:
        """This device's sale with the nonce if it was recorded, else its cancellation for good."""
        path = f"/sales/by-nonce/{quote(nonce, safe='')}/cancel"
        return self._decode(await self._request("POST", path), SaleCancelOut)

    async def sales_by_ticket(self, ref: str) -> list[SaleOut]:
        return self._decode(await self._request("GET", "/sales", params={"ticket": ref}), list[SaleOut])

    async def sale(self, sale_id: int) -> SaleOut:
        return self._decode(await self._request("GET", f"/sales/{sale_id}"), SaleOut)

    async def refund(self, sale_id: int, refund: RefundIn) -> SaleOut:
        return self._decode(await self._request("POST", f"/sales/{sale_id}/refund", body=refund), SaleOut)

    async def reissue(self, ref: str) -> TicketOut:
        return self._decode(await self._request("POST", f"/tickets/{ref}/reissue", body={}), TicketOut)

    async def mark_paid(self, ref: str) -> TicketOut:
        return self._decode(await self._request("POST", f"/tickets/{ref}/paid", body={}), TicketOut)

    async def leases(self) -> list[LeaseOut]:
        """This till's active capacity leases."""
        return self._decode(await self._request("GET", "/leases", params={"active": "true"}), list[LeaseOut])

    async def return_lease(self, lease_id: int) -> LeaseOut:
        """Give the lease's unused seats back (exactly once at the service, however often sent)."""
        return self._decode(await self._request("POST", f"/leases/{lease_id}/return"), LeaseOut)

    async def events(self) -> list[EventAvailability]:
        return self._decode(await self._request("GET", "/events"), list[EventAvailability])

    async def templates(self, plu: str | None = None) -> list[TemplateData]:
        params: dict[str, Any] = {"plu": plu} if plu else {}
        return self._decode(await self._request("GET", "/templates", params=params), list[TemplateData])

    async def payment_config(self) -> PaymentConfig:
        return self._decode(await self._request("GET", "/sales/payment-methods"), PaymentConfig)

    async def register_signing_key(self, public_key_hex: str) -> SigningKeyOut:
        body = SigningKeyIn(public_key=public_key_hex)
        return self._decode(await self._request("POST", "/sales/signing-key", body=body), SigningKeyOut)

    async def certify_key(self, key_id: int) -> TillCertificate:
        """A (renewed) certificate of this till's key, signed with the venue's issuer key."""
        body = CertificateIn(key_id=key_id)
        path = "/sales/signing-key/certificate"
        return self._decode(await self._request("POST", path, body=body), TillCertificate)

    async def create_box_office(self, name: str, public_key_hex: str) -> IssuedToken:
        """Admin only: a new box_office device holding this public key; returns its own token."""
        body = {"name": name, "role": "box_office", "signing_public_key": public_key_hex}
        return self._decode(await self._request("POST", "/devices", body=body), IssuedToken)

    async def day_report(self, day: str | None = None) -> SalesReport:
        params = {"date": day} if day else None
        return self._decode(await self._request("GET", "/sales/report", params=params), SalesReport)

    async def record_terminal_incident(self, nonce: str, incident: TerminalIncidentIn) -> TerminalIncidentOut:
        """Register (or end) this till's card-terminal incident under its nonce."""
        path = f"/payments/terminal-incidents/{quote(nonce, safe='')}"
        return self._decode(await self._request("PUT", path, body=incident), TerminalIncidentOut)
