"""Running the service in worker processes that each listen on a socket of their own.

uvicorn's own workers share one listening socket, and whichever worker wakes first accepts
the next connection. Gates and tills keep their connections open for hours, so when a
hundred of them connect at once (the server restarted, the network came back), one worker
can end up serving nearly all of them while the others idle (encode/uvicorn#2467). Here
every worker binds its own socket to the address with SO_REUSEPORT, and the kernel spreads
new connections evenly over them. The supervising process holds one more socket on the
address, bound and never listening, so the address stays ours while a worker restarts.

The supervisor restarts a worker that dies, passes Ctrl-C and SIGTERM on to the workers
(each shuts down gracefully: requests in flight are answered, then the lifespan ends), and
gives up, with a non-zero exit, when a worker dies before it ever served.

Workers never outlive the supervisor, even one killed with SIGKILL (which it cannot pass on):
orphans would go on answering on the address, beside whatever service is started next. On
Linux the kernel sends each worker SIGTERM when the supervisor dies (PR_SET_PDEATHSIG); on any
system a worker also watches a pipe whose writing end only the supervisor holds, and shuts
down gracefully when it reads end-of-file there.

One service per data folder, on an address no other program listens on (`claim`): a second
`serve` would otherwise add its workers to the first's on the same port, SO_REUSEPORT sharing
it silently, or upgrade the schema under a running older release.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import TextIO

import uvicorn

log = logging.getLogger("admission.serving")

APP_FACTORY = "admission.api.asgi:create"
RESTART_PAUSE_SECONDS = 1.0  # a worker that keeps dying is restarted at most this often
GRACE_SECONDS = 35.0  # a worker's graceful shutdown, before it is killed
PR_SET_PDEATHSIG = 1  # prctl option, <linux/prctl.h>
LOCK_FILE = "serve.lock"  # in the data folder: held by the running service, says who that is


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    workers: int
    log_level: str
    access_log: bool
    app: str = APP_FACTORY  # "module:factory" of the ASGI app

    def uvicorn_config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            factory=True,
            host=self.host,
            port=self.port,
            log_level=self.log_level,
            access_log=self.access_log,
        )


def serve(options: ServeOptions) -> int:
    """Run the service until Ctrl-C or SIGTERM; the exit status of the whole service."""
    if options.workers <= 1:
        server = uvicorn.Server(options.uvicorn_config())
        server.run()
        return 0 if server.started else 1
    return Supervisor(options).run()


class Refused(Exception):
    """Another service holds the data folder or the address; the message says which and what to do."""


def claim(data_dir: Path, host: str, port: int) -> TextIO | None:
    """Make this process the data folder's only service, on an address no other program listens
    on, or raise Refused. Keep the returned file open while serving: it holds an exclusive flock
    on the folder's lock file, which the kernel drops when the process ends, however it ends (a
    SIGKILL leaves no stale lock). None when the folder is read-only: the address is checked all
    the same, but a second service on the folder would not be refused."""
    lock = lock_data_dir(data_dir, f"{host}:{port}")
    try:
        check_address_free(host, port)
    except Refused:
        if lock is not None:
            lock.close()
        raise
    return lock


def lock_data_dir(data_dir: Path, address: str) -> TextIO | None:
    path = data_dir / LOCK_FILE
    try:  # not truncated before the lock is ours: the holder's pid is in it
        lock = open(path, "a+")  # noqa: SIM115 (held for the life of the service)
    except OSError:
        try:  # a folder this user may only read: flock needs no writing
            lock = open(path)  # noqa: SIM115
        except OSError as exc:
            reason = exc.strerror or exc
            log.warning("cannot create %s (%s): a second service here would not be refused", path, reason)
            return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().split()
        lock.close()
        raise Refused(already_serving(data_dir, path, holder)) from None
    if lock.writable():
        lock.truncate(0)
        lock.write(f"{os.getpid()} {address}\n")
        lock.flush()
    return lock


def already_serving(data_dir: Path, path: Path, holder: list[str]) -> str:
    if len(holder) == 2 and holder[0].isdigit():  # empty for the moment the holder writes it
        pid, address = holder
        return (
            f"another `admission serve` (pid {pid}, on {address}) already serves {data_dir}: "
            f"stop it first (kill {pid}), or serve another --data-dir"
        )
    return f"another `admission serve` already serves {data_dir} (it holds {path}): stop it first"


def check_address_free(host: str, port: int) -> None:
    """Raise Refused when anything listens on the address. Bound without SO_REUSEPORT, the probe
    fails next to any listening socket, SO_REUSEPORT or not; with SO_REUSEADDR, connections of an
    earlier run still in TIME_WAIT are no obstacle, as they are none for the service."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Refused(
                    f"{host}:{port} is in use by another program (`ss -ltnp 'sport = :{port}'` "
                    "names it): stop it, or choose another --port"
                ) from None
            raise Refused(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class WorkerServer(uvicorn.Server):
    """A uvicorn server that tells its supervisor once it has started serving."""

    def __init__(self, config: uvicorn.Config, started: EventType) -> None:
        super().__init__(config)
        self.started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.started_event.set()


def run_worker(options: ServeOptions, started: EventType, supervisor: int, lifeline: Connection) -> None:
    """One worker process: its own socket on the address, one uvicorn server on it, for as long
    as the supervisor (process id `supervisor`) lives; `lifeline` reads the supervisor's pipe."""
    ask_for_sigterm_when_parent_dies()
    if os.getppid() != supervisor:  # it died before the request above: no signal would come
        return
    server = WorkerServer(options.uvicorn_config(), started)
    watch = threading.Thread(
        target=stop_when_closed, args=(lifeline, server), name="supervisor watch", daemon=True
    )
    watch.start()
    server.run(sockets=[reuse_port_socket(options.host, options.port)])


def ask_for_sigterm_when_parent_dies() -> None:
    """Linux: the kernel sends this process SIGTERM when the process that started it ends (uvicorn
    shuts down gracefully on it). Elsewhere, or should libc refuse, the lifeline alone does it."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done = libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError) as exc:
        log.warning("cannot ask to be stopped with the supervisor (%s): its pipe will tell", exc)
        return
    if done != 0:
        reason = os.strerror(ctypes.get_errno())
        log.warning("prctl(PR_SET_PDEATHSIG) failed (%s): the supervisor's pipe will tell", reason)


def stop_when_closed(lifeline: Connection, server: uvicorn.Server) -> None:
    """Wait for end-of-file on the supervisor's pipe (it never writes: the kernel closes the pipe
    when the supervisor ends, however it ends), then stop the worker gracefully; one that has not
    finished after the grace period is ended here."""
    try:
        while os.read(lifeline.fileno(), 1024):
            pass
    except OSError:
        pass
    log.warning("worker %d: the supervisor is gone, stopping", os.getpid())
    server.should_exit = True  # what uvicorn's own SIGTERM handler does
    time.sleep(GRACE_SECONDS)
    os._exit(1)


class Supervisor:
    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.stopping = threading.Event()
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[Worker] = []
        # Every worker gets the reading end; the writing end stays here alone and is never
        # written to, so the workers read end-of-file exactly when this process has ended.
        self.lifeline, self.lifeline_end = self.context.Pipe(duplex=False)

    def run(self) -> int:
        try:
            reservation = reuse_port_socket(self.options.host, self.options.port)
        except OSError as exc:
            log.error("cannot listen on %s:%d: %s", self.options.host, self.options.port, exc)
            return 1
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        try:
            self.workers = [self._start() for _ in range(self.options.workers)]
            return self._watch()
        finally:
            self._stop_all()
            reservation.close()

    def _start(self) -> Worker:
        started = self.context.Event()
        # Always called on the main thread: the kernel's parent-death signal is sent when the
        # thread that started the worker ends, and the main thread lasts as long as the process.
        process = self.context.Process(
            target=run_worker,
            args=(self.options, started, os.getpid(), self.lifeline),
            name="admission worker",
        )
        process.start()
        return Worker(process, started, time.monotonic())

    def _watch(self) -> int:
        while not self.stopping.wait(0.5):
            for position, worker in enumerate(self.workers):
                process = worker.process
                if process.is_alive():
                    continue
                # Exited by itself before it ever served: it cannot start (a killed one, say by
                # the OOM killer, has a negative status and is simply started again).
                if not worker.started.is_set() and (process.exitcode or 0) >= 0:
                    log.error("a worker could not start: see its messages above")
                    return 1
                if time.monotonic() - worker.since < RESTART_PAUSE_SECONDS:
                    continue
                log.warning("worker %s exited (status %s): starting another", process.pid, process.exitcode)
                self.workers[position] = self._start()
        return 0

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()  # SIGTERM: uvicorn shuts down gracefully
        deadline = time.monotonic() + GRACE_SECONDS
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()


@dataclass
class Worker:
    process: BaseProcess
    started: EventType  # set by the worker once it serves
    since: float
