"""Upgrading a venue of an older release: its tickets get their numbers' hashes, the feed stops
serving numbers (and serves the venue's hashing spec), and tokens keep no secret character."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from admission.db.migrate import upgrade_database
from admission.domain.codes import new_ticket_number
from admission.domain.number_hash import NumberHasher


def test_upgrade_hashes_existing_numbers_and_scrubs_feed_and_token_prefixes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0002")
    number = new_ticket_number()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as db:
        db.execute(sa.text("INSERT INTO venue(id, name, timezone, annul_window_seconds, settings, catalog_version) "
                           "VALUES (1, 'Zoo', 'UTC', 30, '{}', 0)"))  # fmt: skip
        db.execute(sa.text("INSERT INTO issuer_keys(key_id, public_key, created_at) VALUES (1, 'ab', '2026-01-01')"))
        db.execute(sa.text("INSERT INTO devices(id, name, role, created_at) VALUES (1, 'g', 'gate', '2026-01-01')"))
        db.execute(sa.text("INSERT INTO tokens(device_id, token_hash, prefix, created_at) "
                           "VALUES (1, 'h', 'adm_Ab3xYz', '2026-01-01')"))  # fmt: skip
        db.execute(sa.text("INSERT INTO tickets(serial, number, code, key_id, template_id, issued_at, status, "
                           "entries_carried) VALUES (42, :n, 'C', 1, 1, '2026-01-01', 'valid', 0)"), {"n": number})  # fmt: skip
        db.execute(sa.text("INSERT INTO changes(kind, key, data) VALUES ('venue', '1', :v), ('ticket', '42', :t)"),
                   {"v": json.dumps({"name": "Zoo", "timezone": "UTC"}),
                    "t": json.dumps({"serial": "42", "number": number, "status": "valid"})})  # fmt: skip
    upgrade_database(url)
    with engine.begin() as db:
        settings = json.loads(db.execute(sa.text("SELECT settings FROM venue")).scalar_one())
        stored_hash = db.execute(sa.text("SELECT number_hash FROM tickets WHERE serial = 42")).scalar_one()
        feed = dict(db.execute(sa.text("SELECT kind, data FROM changes")).all())
        prefix = db.execute(sa.text("SELECT prefix FROM tokens")).scalar_one()
    hasher = NumberHasher.parse(settings["number_hashing"])
    assert stored_hash == hasher(number)
    assert number not in feed["ticket"] and json.loads(feed["ticket"])["number_hash"] == stored_hash
    assert json.loads(feed["venue"])["number_hashing"] == hasher.spec
    assert prefix == "adm_"
