"""What receipts print about the venue, set from a venue file or the command line, and a
template's own VAT rate: on each backend."""

from __future__ import annotations

from pathlib import Path

from tests.test_venue_file import FIXTURES, Cli, cli, line_of  # noqa: F401  (the fixture)

VENUE = """
[venue]
name = "Skansen-like"
timezone = "Europe/Stockholm"
currency = "SEK"
address = ["Djurgårdsslätten 49", "115 21 Stockholm"]
vat_number = "SE556677889901"
vat_rate = 6

[[templates]]
name = "Adult"
plu = "1"
price = 250

[[templates]]
name = "Guide book"
plu = "2"
price = 120
vat_rate = 25
"""


def test_a_venue_file_sets_the_receipt_details_and_a_templates_own_rate(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "venue.toml"
    path.write_text(VENUE, encoding="utf-8")
    code, out, err = cli("venue", "apply", str(path))
    assert code == 0, out + err
    assert cli("venue", "apply", str(path))[1].count("Nothing to change") == 1

    _, shown, _ = cli("venue", "show")
    assert "Djurgårdsslätten 49" in shown and "115 21 Stockholm" in shown
    assert "SE556677889901" in shown and "6 %" in shown
    _, listing, _ = cli("templates", "list")
    assert "VAT 25 % (its own rate)." in listing

    _, exported, _ = cli("venue", "export")
    assert 'address = ["Djurgårdsslätten 49", "115 21 Stockholm"]' in exported
    assert 'vat_number = "SE556677889901"' in exported
    assert "vat_rate = 6\n" in exported and "vat_rate = 25\n" in exported
    again = tmp_path / "exported.toml"
    again.write_text(exported, encoding="utf-8")
    assert "Nothing to change" in cli("venue", "apply", str(again))[1]

    changed = tmp_path / "changed.toml"
    changed.write_text(VENUE.replace("vat_rate = 6", "vat_rate = 12"), encoding="utf-8")
    _, plan, _ = cli("venue", "apply", str(changed), "--dry-run")
    assert "vat_rate: 6 % → 12 %" in plan


def test_a_mistaken_rate_in_the_file_names_its_line_and_the_fix(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "venue.toml"
    text = VENUE.replace("vat_rate = 25", 'vat_rate = "full"')
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("venue", "apply", str(path))
    assert code == 2
    assert f"line {line_of(text, 'full')}" in err and "vat_rate" in err and "e.g. vat_rate = 25" in err
    # Three decimals are no rate either, and a dry run says so before anything is applied.
    text = VENUE.replace("vat_rate = 6", "vat_rate = 6.125")
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("venue", "apply", str(path), "--dry-run")
    assert code == 2 and f"line {line_of(text, '6.125')}" in err and "two decimals" in err


def test_the_command_line_sets_each_detail_and_keeps_the_others(cli: Cli) -> None:  # noqa: F811
    code, out, err = cli("venue", "set", "--address", "Zoostraße 1", "--address", "10787 Berlin", "--vat-rate", "19")
    assert code == 0, out + err
    code, out, err = cli("venue", "set", "--vat-number", "DE123456789")
    assert code == 0, out + err
    _, shown, _ = cli("venue", "show")
    assert "Zoostraße 1" in shown and "10787 Berlin" in shown and "DE123456789" in shown and "19 %" in shown
    code, _, err = cli("venue", "set", "--vat-rate", "19.125")
    assert code == 2 and "two decimals" in err
    code, _, err = cli("venue", "set")
    assert code == 2 and "--vat-rate" in err
    assert "19 %" in cli("venue", "show")[1]


def test_a_template_gets_its_own_rate_and_back_the_standard_one(cli: Cli) -> None:  # noqa: F811
    assert cli("venue", "apply", str(FIXTURES / "museum.toml"))[0] == 0
    name = "Member card"
    assert cli("templates", "list")[1].count("VAT 13 % (its own rate).") == 2  # the timed entries
    code, out, err = cli("templates", "set-vat", name, "7")
    assert code == 0, out + err
    assert "VAT 7 % (its own rate)." in cli("templates", "list")[1]
    assert cli("templates", "set-vat", name, "standard")[0] == 0
    assert cli("templates", "list")[1].count("its own rate") == 2
    code, _, err = cli("templates", "set-vat", "No such", "7")
    assert code == 2 and "no template named" in err
