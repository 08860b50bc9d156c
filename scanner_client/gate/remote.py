"""The service's scan endpoints as the gate uses them, on the client core's `Remote`."""

from __future__ import annotations

from admission.contract import BatchRequest, BatchResponse, ScanRequest, ScanResponse
from scanner_client.core.remote import Remote


class GateRemote(Remote):
    async def scan(self, request: ScanRequest) -> ScanResponse:
        response = await self._request("POST", "/scans", body=request, time_limit=self.scan_timeout)
        return self._decode(response, ScanResponse)

    async def batch(self, request: BatchRequest, time_limit: float = 60.0) -> BatchResponse:
        response = await self._request("POST", "/passages/batch", body=request, time_limit=time_limit)
        return self._decode(response, BatchResponse)

    async def annul(self, nonce: str) -> None:
        await self._request("POST", f"/scans/{nonce}/annul", body={})
