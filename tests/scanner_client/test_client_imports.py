"""A gate PC or a till runs the client alone: none of its modules may load the service's
database or web stack (they are not even needed on the machine)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import scanner_client

SERVER_ONLY = ("sqlalchemy", "litestar", "alembic", "asyncpg", "aiosqlite", "uvicorn")


def client_modules() -> list[str]:
    found = pkgutil.walk_packages(scanner_client.__path__, prefix="scanner_client.")
    return sorted(m.name for m in found if not m.name.endswith("__main__"))


def test_every_client_module_is_found() -> None:
    modules = client_modules()
    assert "scanner_client.app" in modules or any(m.startswith("scanner_client.gate") for m in modules)
    assert any("box_office" in m or "till" in m for m in modules)


def test_importing_the_client_loads_no_server_code() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {client_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_ONLY!r})\n"
        "loaded += sorted(m for m in sys.modules if m.startswith(('admission.services', 'admission.db', "
        "'admission.api')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"client modules load server code: {result.stdout.strip()}"
