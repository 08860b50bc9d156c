"""`admission serve --workers N`: connections spread over the workers, a dead worker is replaced,
SIGTERM stops them all, a worker that cannot start fails the service, workers die with a killed
supervisor, and a second service on the same data folder or address is refused."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from admission.demo import DemoVenue
from admission.serving import ServeOptions, run_worker
from tests.support.live_server import LiveServer, free_port
from tests.support.venues import seed


def wait_for(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def workers_of(supervisor: int) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    found = set()
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"spawn_main" in command and b"resource_tracker" not in command:
                found.add(int(child))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to collect it has already ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def connection_owners(port: int) -> Counter[int]:
    """How many established connections to `port` each process holds (server side)."""
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Counter(int(pid) for pid in re.findall(r"pid=(\d+)", listing))


@pytest.fixture
def venue(sqlite_url: str, tmp_path: Path) -> DemoVenue:
    return seed(sqlite_url, tmp_path)


def serving_worker(server: LiveServer) -> set[int]:
    """The worker that answers a new connection (each one lands on a worker by its hash)."""
    with httpx.Client(base_url=server.url) as client:
        client.get("/health")
        return set(connection_owners(server.port))


@pytest.fixture
def two_workers(venue: DemoVenue) -> Iterator[LiveServer]:
    server = LiveServer(venue, workers=2)
    server.start()
    try:
        assert server.process is not None
        supervisor = server.process.pid
        wait_for(lambda: len(workers_of(supervisor)) == 2)
        seen: set[int] = set()
        wait_for(lambda: seen.update(serving_worker(server)) or seen >= workers_of(supervisor))
        yield server
    finally:
        server.stop()


def test_long_lived_connections_spread_over_both_workers(two_workers: LiveServer) -> None:
    assert two_workers.process is not None
    workers = workers_of(two_workers.process.pid)
    clients = [httpx.Client(base_url=two_workers.url) for _ in range(40)]
    try:
        for client in clients:  # all opened at once, as gates do when the network returns
            assert client.get("/health").status_code == 200
        owners = connection_owners(two_workers.port)
        assert set(owners) == workers, owners
        assert min(owners.values()) >= 8, owners  # a fair coin would fall below 8 of 40 once in 10^4
    finally:
        for client in clients:
            client.close()


def test_a_killed_worker_is_replaced_and_the_service_keeps_answering(two_workers: LiveServer) -> None:
    assert two_workers.process is not None
    supervisor = two_workers.process.pid
    before = workers_of(supervisor)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(workers_of(supervisor)) == 2 and victim not in workers_of(supervisor))
    for _ in range(20):  # new connections: each may land on either worker
        assert httpx.get(f"{two_workers.url}/health", timeout=5).status_code == 200


def test_sigterm_stops_the_supervisor_and_every_worker(two_workers: LiveServer) -> None:
    assert two_workers.process is not None
    process = two_workers.process
    workers = workers_of(process.pid)
    process.send_signal(signal.SIGTERM)  # the supervisor alone, as a service manager does
    assert process.wait(timeout=40) == 0
    two_workers.process = None
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_serve_without_the_issuer_key_says_so_in_one_line(venue: DemoVenue, tmp_path: Path) -> None:
    empty = tmp_path / "no-keys"
    empty.mkdir()
    command = [
        sys.executable, "-m", "admission.cli", "serve",
        "--database-url", venue.database_url, "--data-dir", str(empty),
        "--port", str(free_port()), "--workers", "2", "--log-level", "warning",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no issuer private key" in done.stderr and "admission init" in done.stderr
    assert "Traceback" not in done.stderr


def test_workers_that_cannot_start_fail_the_service_instead_of_restarting(tmp_path: Path) -> None:
    program = (
        "import sys; from admission.serving import ServeOptions, serve; "
        f"sys.exit(serve(ServeOptions(host='127.0.0.1', port={free_port()}, workers=2, "
        "log_level='warning', access_log=False, app='tests.support.apps:failing')))"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "could not start" in done.stderr


def test_a_worker_killed_while_starting_is_started_again(tmp_path: Path) -> None:
    port = free_port()
    program = (
        "import sys; from admission.serving import ServeOptions, serve; "
        f"sys.exit(serve(ServeOptions(host='127.0.0.1', port={port}, workers=2, "
        "log_level='warning', access_log=False, app='tests.support.apps:slow')))"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", program], stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(workers_of(supervisor.pid)) == 2)
        victim = min(workers_of(supervisor.pid))
        os.kill(victim, signal.SIGKILL)  # still in its slow start
        wait_for(lambda: victim not in workers_of(supervisor.pid) and len(workers_of(supervisor.pid)) == 2)
        wait_for(lambda: _answers(port))
        assert supervisor.poll() is None
    finally:
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=40) == 0, supervisor.stderr.read() if supervisor.stderr else ""


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def answering(port: int) -> bool:
    """Anything on the port answers HTTP at all."""
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
    except httpx.HTTPError:
        return False
    return True


def serve_again(venue: DemoVenue, data_dir: str, port: int, workers: int = 2) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "admission.cli", "serve",
        "--database-url", venue.database_url, "--data-dir", data_dir,
        "--port", str(port), "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def refusal(process: subprocess.Popen[str]) -> str:
    """What a service that had to refuse said, on one line (the console wraps to its width)."""
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        stop_group(process)
        raise AssertionError("the second service started instead of refusing") from None
    assert process.returncode == 2, stderr
    assert "Traceback" not in stderr, stderr
    return " ".join(stderr.split())


def stop_group(process: subprocess.Popen[str]) -> None:
    """A service that started after all, with its workers (its group's leader still runs, so the
    group id is still its own)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def test_workers_die_with_a_killed_supervisor_and_the_port_goes_quiet(two_workers: LiveServer) -> None:
    assert two_workers.process is not None
    supervisor = two_workers.process
    workers = workers_of(supervisor.pid)
    assert len(workers) == 2
    supervisor.kill()  # SIGKILL: it cannot stop its workers itself
    supervisor.wait(timeout=10)
    two_workers.process = None
    try:
        wait_for(lambda: not any(alive(pid) for pid in workers), seconds=5)
        assert not answering(two_workers.port)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(supervisor.pid, signal.SIGKILL)  # what is left of its group, should this fail


def test_a_worker_whose_supervisor_died_before_it_ran_does_not_serve() -> None:
    """The race the kernel's parent-death signal leaves open: the parent ended before the worker
    asked for the signal. The worker then sees another parent and stops before serving."""
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    lifeline, lifeline_end = context.Pipe(duplex=False)
    options = ServeOptions(
        host="127.0.0.1", port=free_port(), workers=2, log_level="warning", access_log=False,
        app="tests.support.apps:slow",
    )  # fmt: skip
    not_my_parent = os.getppid()
    worker = context.Process(target=run_worker, args=(options, started, not_my_parent, lifeline))
    worker.start()
    try:
        worker.join(timeout=10)
        assert worker.exitcode == 0
        assert not started.is_set()
    finally:
        worker.kill()
        lifeline_end.close()


def test_a_second_serve_on_the_same_data_folder_or_address_is_refused(
    two_workers: LiveServer, venue: DemoVenue, tmp_path: Path
) -> None:
    assert two_workers.process is not None
    first = two_workers.process.pid
    workers = workers_of(first)
    other_folder = tmp_path / "copy"  # another data folder, with the keys
    shutil.copytree(Path(venue.data_dir) / "keys", other_folder / "keys")
    same = serve_again(venue, venue.data_dir, two_workers.port)
    same_folder = serve_again(venue, venue.data_dir, free_port())
    same_address = serve_again(venue, str(other_folder), two_workers.port)
    try:
        for said in (refusal(same), refusal(same_folder)):  # one service per data folder
            assert f"another `admission serve` (pid {first}, on 127.0.0.1:{two_workers.port})" in said, said
            assert f"already serves {venue.data_dir}" in said and f"kill {first}" in said, said
        said = refusal(same_address)
        assert f"127.0.0.1:{two_workers.port} is in use by another program" in said, said
    finally:
        for process in (same, same_folder, same_address):
            stop_group(process)

    assert two_workers.process.poll() is None
    assert workers_of(first) == workers
    for _ in range(10):
        assert httpx.get(f"{two_workers.url}/health", timeout=5).status_code == 200


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_refuses_an_address_another_program_listens_on(venue: DemoVenue, workers: int) -> None:
    with socket.socket() as other:  # would share the port silently: SO_REUSEPORT, same user
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        said = refusal(serve_again(venue, venue.data_dir, port, workers))
    assert f"127.0.0.1:{port} is in use by another program" in said and "--port" in said, said
