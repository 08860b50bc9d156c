"""Starting a hub: from an empty data folder it needs the central service once (it reads the whole
feed before it answers a gate, and signs nothing: it makes no issuer key); a database that holds
a venue of its own is refused, with what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from admission.demo import DemoVenue
from tests.support.hubs import dead_upstream
from tests.support.live_server import free_port


def serve_hub(database_url: str | None, folder: Path) -> subprocess.CompletedProcess[str]:
    """`serve --upstream` on `folder`, with its own SQLite file when no database is named."""
    command = [
        sys.executable, "-m", "admission.cli", "serve",
        *(["--database-url", database_url] if database_url else []),
        "--data-dir", str(folder), "--port", str(free_port()),
        "--upstream", dead_upstream(), "--token", "adm_hub_not-needed-to-fail",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def said(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join((done.stderr + done.stdout).split())  # as one line, however it was wrapped


def test_a_new_hub_that_cannot_reach_the_centre_says_so(hub_database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "new-hub"  # not made yet: a hub's folder starts empty
    on_sqlite = hub_database_url.startswith("sqlite")
    done = serve_hub(None if on_sqlite else hub_database_url, folder)  # SQLite: the folder's own file
    assert done.returncode == 2
    assert "reads the central service's feed once before it serves" in said(done)
    assert folder.is_dir() and not (folder / "keys").exists()  # a hub holds no issuer key
    assert (folder / "admission.db").exists() == on_sqlite


def test_a_database_with_a_venue_of_its_own_is_no_hub(demo_venue: DemoVenue, tmp_path: Path) -> None:
    done = serve_hub(demo_venue.database_url, tmp_path / "hub")
    assert done.returncode == 2
    assert "holds a venue of its own: a hub starts from an empty database" in said(done)
