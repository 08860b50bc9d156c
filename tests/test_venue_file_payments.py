"""A venue file's template may admit tickets issued unpaid (`allow_pending_entry`): applied, listed
in words, exported only when set, and refused when it is not a true or false."""

from __future__ import annotations

from pathlib import Path

from tests.test_venue_file import FIXTURES, Cli, cli  # noqa: F401 (the fixture)

INVOICED_GROUPS = """

[[templates]]
name = "School group"
price = 8
allow_pending_entry = true
"""


def test_a_template_admitting_pending_tickets_is_applied_listed_and_exported(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    venue = tmp_path / "zoo.toml"
    venue.write_text((FIXTURES / "zoo.toml").read_text() + INVOICED_GROUPS)
    code, _, err = cli("venue", "apply", str(venue))
    assert code == 0, err
    listing = cli("templates", "list")[1].splitlines()
    group = next(line for line in listing if "School group" in line)
    assert "Tickets not yet paid are admitted too." in group
    assert not any("not yet paid" in line for line in listing if "Day ticket" in line)

    exported = tmp_path / "export.toml"
    assert cli("venue", "export", "--out", str(exported))[0] == 0
    text = exported.read_text()
    assert text.count("allow_pending_entry") == 1  # the default (false) is left out
    assert "allow_pending_entry = true" in text.split('name = "School group"', 1)[1].split("[[", 1)[0]
    assert "Nothing to change" in cli("venue", "apply", str(exported))[1]

    venue.write_text(venue.read_text().replace("allow_pending_entry = true", "allow_pending_entry = false"))
    code, out, err = cli("venue", "apply", str(venue), "--dry-run")
    assert code == 0, err
    assert "allow_pending_entry: yes → no" in out

    venue.write_text(venue.read_text().replace("allow_pending_entry = false", 'allow_pending_entry = "sometimes"'))
    code, _, err = cli("venue", "apply", str(venue))
    assert code == 2 and "allow_pending_entry" in err
