"""`admission venue apply|export`, `templates list` and `issue --template NAME`: a venue set up
from a file, on each backend."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from admission.cli import main
from admission.cli.common import console, errors

FIXTURES = Path(__file__).parents[1] / "fixtures"
SAMPLES = sorted(FIXTURES.glob("*.toml"))
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`admission …` against a fresh `admission init` venue; returns (exit status, out, err)."""
    monkeypatch.setattr(console, "_width", 200)  # no wrapped table cells to match across
    monkeypatch.setattr(errors, "_width", 200)
    where = ["--database-url", database_url, "--data-dir", str(tmp_path / "data")]
    assert main(["init", *where]) == 0
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args, *where])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def tokens_in(text: str) -> list[str]:
    return re.findall(r"adm_[A-Za-z0-9_-]{20,}", text)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_each_sample_venue_applies_to_a_fresh_venue_and_a_second_apply_changes_nothing(cli: Cli, sample: Path) -> None:
    devices = sample.read_text().count("[[devices]]")
    code, out, _ = cli("venue", "apply", str(sample))
    assert code == 0, out
    assert "Applied:" in out and "create" in out
    assert len(tokens_in(out)) == devices  # each new device's token, shown once

    code, again, _ = cli("venue", "apply", str(sample))
    assert code == 0
    assert "Nothing to change" in again
    assert "create" not in again and "update" not in again
    assert tokens_in(again) == []  # a re-apply never issues tokens

    code, listing, _ = cli("tokens", "list")
    assert listing.count("\n│ ") == devices + 1  # the file's devices and init's admin, once each


def test_the_sample_venues_are_what_their_files_say(cli: Cli) -> None:
    assert cli("venue", "apply", str(FIXTURES / "arena.toml"))[0] == 0
    _, listing, _ = cli("templates", "list")
    assert "Concert ticket" in listing and "DKK450.00" in listing  # money as Babel writes it in English
    assert "Sold offline as 'Concert standing (offline sale)'" in listing
    assert "Zones: arena, lounge." in listing
    _, exported, _ = cli("venue", "export")
    # times written without an offset are the venue's local time (Copenhagen, summer: +02:00)
    assert "starts_at = 2027-06-12T20:00:00+02:00" in exported
    assert 'event = "Nordic Lights in concert"' in exported
    assert 'label = "MobilePay"' in exported


def test_dry_run_shows_the_plan_and_changes_nothing(cli: Cli) -> None:
    code, out, _ = cli("venue", "apply", str(FIXTURES / "zoo.toml"), "--dry-run")
    assert code == 0
    assert "Dry run: nothing was changed" in out
    assert re.search(r"create\s*│\s*template\s*│\s*Year card", out)
    assert re.search(r"update\s*│\s*venue\s*│\s*City Zoo\s*│\s*name: My venue → City Zoo", out)
    assert tokens_in(out) == []
    assert "No templates yet" in cli("templates", "list")[1]
    assert "create" in cli("venue", "apply", str(FIXTURES / "zoo.toml"), "--dry-run")[1]


def test_a_changed_file_updates_only_what_changed_and_says_how(cli: Cli, tmp_path: Path) -> None:
    cli("venue", "apply", str(FIXTURES / "zoo.toml"))
    changed = tmp_path / "zoo.toml"
    text = (FIXTURES / "zoo.toml").read_text()
    changed.write_text(text.replace("price = 24.50", "price = 26").replace('zone = "farm"', 'zone = "zoo"'))
    code, out, _ = cli("venue", "apply", str(changed))
    assert code == 0
    assert re.search(r"update\s*│\s*template\s*│\s*Adult day ticket\s*│\s*price: 24.50 → 26.00", out)
    assert re.search(r"update\s*│\s*gate\s*│\s*Farm gate\s*│\s*zone: farm → zoo", out)
    assert re.search(r"unchanged\s*│\s*template\s*│\s*Child day ticket", out)
    assert "Applied: 0 created, 2 updated" in out and tokens_in(out) == []
    assert "€26.00" in cli("templates", "list")[1]


def test_an_exported_venue_applies_unchanged_and_rebuilds_the_same_venue_elsewhere(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("venue", "apply", str(FIXTURES / "museum.toml"))
    out_file = tmp_path / "museum-export.toml"
    assert cli("venue", "export", "--out", str(out_file))[0] == 0
    assert "Nothing to change" in cli("venue", "apply", str(out_file))[1]
    assert cli("venue", "export", "--out", str(out_file))[0] == 2  # never overwritten unasked

    elsewhere = ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", "--data-dir", str(tmp_path / "o")]
    assert main(["init", *elsewhere]) == 0
    assert main(["venue", "apply", str(out_file), *elsewhere]) == 0
    capsys.readouterr()
    assert main(["venue", "export", *elsewhere]) == 0
    assert capsys.readouterr().out == out_file.read_text()


def test_mistakes_name_their_line_and_the_fix_and_change_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    zoo = (FIXTURES / "zoo.toml").read_text()
    bad.write_text(zoo.replace("max_entries = 5", "max_entries = many"))
    code, _, err = cli("venue", "apply", str(bad))
    assert code == 2 and "not valid TOML" in err and f"at line {line_of(zoo, 'max_entries = 5')}," in err

    bad.write_text(zoo.replace('max_entries = "unlimited"', 'max_entries = "always"').replace("reentry = true\nzones", "rentry = true\nzones"))
    code, _, err = cli("venue", "apply", str(bad))
    assert code == 2
    rentry = line_of(zoo, "reentry = true")
    assert f'line {rentry}, [[templates]] "Adult day ticket", rentry: unknown field \'rentry\': did you mean reentry?' in err

    bad.write_text(zoo.replace('max_entries = "unlimited"', 'max_entries = "always"'))
    code, _, err = cli("venue", "apply", str(bad))
    assert code == 2
    unlimited = line_of(zoo, 'max_entries = "unlimited"')
    assert f'line {unlimited}, [[templates]] "Year card", max_entries' in err
    assert 'max_entries = "unlimited"' in err  # what to write instead

    # problems only the venue reveals are all listed, and nothing before them is applied
    bad.write_text(
        zoo.replace('gate = "Lake gate"', 'gate = "Lake door"').replace('zone = "farm"', 'zone = "petting zoo"')
    )
    code, out, err = cli("venue", "apply", str(bad))
    assert code == 2
    assert "2 problems; nothing was changed" in err
    assert '[[gates]] "Farm gate", zone: unknown zone \'petting zoo\'' in err
    assert "[[devices]] \"gate-lake\", gate: unknown gate 'Lake door'" in err
    assert "No templates yet" in cli("templates", "list")[1]
    assert "Traceback" not in out + err


def test_a_device_is_never_changed_or_reissued_by_a_file(cli: Cli, tmp_path: Path) -> None:
    cli("venue", "apply", str(FIXTURES / "zoo.toml"))
    changed = tmp_path / "zoo.toml"
    changed.write_text((FIXTURES / "zoo.toml").read_text().replace('role = "viewer"', 'role = "admin"'))
    code, _, err = cli("venue", "apply", str(changed))
    assert code == 2
    assert "device 'office' exists as viewer" in err and "admission tokens revoke" in err


def test_templates_list_says_each_rule_in_words(cli: Cli) -> None:
    cli("venue", "apply", str(FIXTURES / "zoo.toml"))
    code, out, _ = cli("templates", "list")
    assert code == 0
    assert "Europe/Berlin" in out
    year_card = next(line for line in out.splitlines() if "Year card" in line)
    assert "Unlimited entries. Re-entry after an exit the same day. Valid 365 days from sale." in year_card
    family = next(line for line in out.splitlines() if "Family ticket" in line)
    assert "5 entries." in family and "€59.00" in family


def test_issue_by_template_name(cli: Cli) -> None:
    cli("venue", "apply", str(FIXTURES / "zoo.toml"))
    code, out, err = cli("issue", "--template", "Child day ticket", "--count", "3")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1 + 3
    code, _, err = cli("issue", "--template", "Child day tickets")
    assert code == 2 and "no template named 'Child day tickets': did you mean 'Child day ticket'" in err
    assert cli("issue", "--template", "1", "--count", "1")[0] == 0  # the id still works


def test_the_documented_example_applies(cli: Cli, tmp_path: Path) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "venue-file.md").read_text()
    example = tmp_path / "example.toml"
    example.write_text(doc.split("## A full example\n\n```toml\n", 1)[1].split("```", 1)[0])
    code, out, err = cli("venue", "apply", str(example))
    assert code == 0, err
    assert "Applied: " in out and "Nothing to change" in cli("venue", "apply", str(example))[1]


FESTIVAL_PASS = """

[[templates]]
name = "Festival pass"
price = 120
max_entries = "unlimited"
max_entry_days = 3
max_entries_per_day = 2
min_minutes_between_entries = 10
exit_required = true
"""


def test_entry_rules_are_applied_listed_in_words_and_exported(cli: Cli, tmp_path: Path) -> None:
    venue = tmp_path / "zoo.toml"
    venue.write_text((FIXTURES / "zoo.toml").read_text() + FESTIVAL_PASS)
    code, _, err = cli("venue", "apply", str(venue))
    assert code == 0, err
    festival = next(line for line in cli("templates", "list")[1].splitlines() if "Festival pass" in line)
    assert "An exit before each new entry to a zone. At least 10 min between entries. At most 2 per day." in festival
    exported = tmp_path / "export.toml"
    assert cli("venue", "export", "--out", str(exported))[0] == 0
    block = exported.read_text().split('name = "Festival pass"', 1)[1].split("[[", 1)[0]
    for line in ("max_entry_days = 3", "max_entries_per_day = 2", "min_minutes_between_entries = 10", "exit_required = true"):
        assert line in block
    assert "entry_minutes" not in block  # rules not set are left out
    assert "Nothing to change" in cli("venue", "apply", str(exported))[1]

    venue.write_text(venue.read_text().replace("max_entry_days = 3", "max_entry_days = 0"))
    code, _, err = cli("venue", "apply", str(venue))
    assert code == 2 and '[[templates]] "Festival pass", max_entry_days' in err
