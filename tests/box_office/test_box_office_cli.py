"""The box-office commands as real processes against the real service process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer

COMMAND = [sys.executable, "-m", "scanner_client.cli"]  # the `scanner-client` command


def run(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ADMISSION_SCANNER_DIR"}
    return subprocess.run(
        [*COMMAND, "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_enroll_sync_and_report_from_the_command_line(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "pc"
    refused = run(data, "enroll-box-office", "--server", live_server.url, "--token", demo_venue.viewer_token)
    assert refused.returncode == 2 and "cannot enroll a box office" in refused.stderr
    assert run(data, "box-office-sync").returncode == 5  # not enrolled yet: says so

    enrolled = run(
        data, "enroll-box-office", "--server", live_server.url, "--token", "-", "--name", "till-9",
        stdin=demo_venue.admin_token + "\n",
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert "Enrolled box office 'till-9' (created" in enrolled.stderr
    folder = data / "box-office"
    assert (folder / "signing-key.pem").stat().st_mode & 0o777 == 0o600
    assert demo_venue.admin_token.encode() not in (folder / "box-office.sqlite3").read_bytes()

    synced = run(data, "box-office-sync")
    assert (synced.returncode, synced.stdout.split()[:2]) == (0, ["posted", "0"])
    report = run(data, "box-office-report", "--date", "2020-01-01")
    assert report.returncode == 0 and "Sales 2020-01-01" in report.stdout
