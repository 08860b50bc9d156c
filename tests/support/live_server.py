"""A real `admission serve` process on a loopback port, for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from admission.demo import DemoVenue


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Start, stop (gracefully or by SIGKILL) and restart the service on a fixed port."""

    def __init__(
        self, venue: DemoVenue, workers: int = 1, port: int | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        self.venue = venue
        self.extra = extra  # more `serve` options (a hub's --upstream and --token)
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(venue.data_dir) / f"server-{self.port}.log"

    def start(self, timeout: float = 30.0) -> None:
        command = [
            sys.executable, "-m", "admission.cli", "serve",
            "--database-url", self.venue.database_url,
            "--data-dir", self.venue.data_dir,
            "--port", str(self.port),
            "--workers", str(self.workers),
            "--log-level", "warning",
            *self.extra,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, token: str, timeout: float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


@contextmanager
def running_server(venue: DemoVenue, workers: int = 1) -> Iterator[LiveServer]:
    server = LiveServer(venue, workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()
