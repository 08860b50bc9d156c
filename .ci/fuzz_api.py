"""Fuzz the whole HTTP API with schemathesis, as each role sees it: no 5xx, answers as documented.

Seeds a demo venue on SQLite (and PostgreSQL with --pg-url), serves it with two workers on a
loopback port, and runs schemathesis over the OpenAPI document once per token: a gate, the box
office, a viewer, then the admin (last: it may revoke the other devices). Exits non-zero when
schemathesis finds a failure.

    .venv/bin/python .ci/fuzz_api.py [--seconds 40] [--seed N] [--pg-url postgresql+asyncpg://...]

CI passes a fixed seed so that a run repeats what the last one tried; `make fuzz` draws a new
seed each time to explore, and what it finds becomes a regression test in tests/api.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests.support` lives beside the package

from sqlalchemy.engine import make_url  # noqa: E402

from admission.db.migrate import upgrade_database  # noqa: E402
from admission.demo import DemoVenue, seed_demo  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40, help="time budget per token and backend")
    parser.add_argument("--seed", type=int, help="repeat the cases of this seed (default: a new one)")
    parser.add_argument("--pg-url", default=os.environ.get("ADMISSION_TEST_DATABASE_URL"))
    args = parser.parse_args()
    failed: list[str] = []
    backends = ["sqlite", *(["postgresql"] if args.pg_url else [])]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="admission-fuzz-") as folder, database(
            backend, Path(folder), args.pg_url
        ) as url:
            venue = asyncio.run(seed_demo(url, Path(folder), tickets_per_template=3))
            failed += fuzz(venue, backend, args.seconds, args.seed)
    if failed:
        print(f"API fuzzing failed for: {', '.join(failed)}")
        return 1
    print(f"API fuzzing: no failures ({', '.join(backends)}; gate, box office, viewer, admin)")
    return 0


# The fuzzer looks tickets up hundreds of times a minute with one token from one address: under
# the look-up limits' defaults most of its look-ups would be answered 429 (documented, so no
# failure, but nothing behind the limit would be exercised). The limits have tests of their own
# (tests/api/test_lookup_limits.py); here they are raised out of the way.
UNLIMITED_LOOKUPS = {
    "ADMISSION_LOOKUPS_PER_MINUTE": "1000000",
    "ADMISSION_LOOKUP_MISSES_PER_DEVICE": "1000000",
    "ADMISSION_LOOKUP_MISSES_PER_ADDRESS": "1000000",
}


def fuzz(venue: DemoVenue, backend: str, seconds: int, seed: int | None) -> list[str]:
    os.environ.update(UNLIMITED_LOOKUPS)  # the server process inherits them
    server = LiveServer(venue, workers=2)
    server.start()
    failed = []
    try:
        tokens = {
            "gate": venue.gate_tokens["Main gate"],
            "box_office": venue.box_office_token,
            "viewer": venue.viewer_token,
            "admin": venue.admin_token,
        }
        for role, token in tokens.items():
            print(f"--- {backend}, {role} token, {seconds} s", flush=True)
            command = [
                str(Path(sys.executable).parent / "schemathesis"), "run", f"{server.url}/schema/openapi.json",
                "--header", f"Authorization: Bearer {token}",
                "--checks", CHECKS,
                "--phases", "examples,coverage,fuzzing",
                "--max-time", str(seconds),
                # One worker: Python 3.11's ast.parse, which hypothesis calls to describe lambdas,
                # can fail when two threads parse at once ("recursion depth mismatch").
                "--workers", "1",
                "--request-timeout", "75",  # long polls wait up to 60 s
                "--suppress-health-check", "all",
                "--warnings", "off",
                "--no-color",
            ]  # fmt: skip
            if seed is not None:
                command += ["--seed", str(seed)]
            if subprocess.run(command, check=False).returncode != 0:
                failed.append(f"{backend}/{role}")
    finally:
        server.stop()
    return failed


@contextmanager
def database(backend: str, folder: Path, pg_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'admission.db'}"
        upgrade_database(url)
        yield url
        return
    assert pg_url is not None
    name = f"admission_fuzz_{secrets.token_hex(4)}"
    admin = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(_pg(admin, f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        yield url
    finally:
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


if __name__ == "__main__":
    sys.exit(main())
