"""Custom rules from the command line and the venue file, on each backend: `templates set-rule`
(JSON on the line, a file, 'none'), its errors pointing at the wrong part, `templates show` and
`templates list` in words, the venue file's `custom_rule` applied, exported and refused, and
`issue --attribute`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_venue_file import FIXTURES, Cli
from tests.test_venue_file import cli as venue_cli

cli = venue_cli  # the fixture: `admission …` against a fresh venue, on each backend

WEEKEND = '{"in": [{"var": "weekday"}, ["saturday", "sunday"]]}'
TWO_A_DAY = '{"or": [' + WEEKEND + ', {"<": [{"var": "entries_today"}, 2]}]}'


def test_set_rule_from_json_or_a_file_shows_it_in_words_and_none_removes_it(cli: Cli, tmp_path: Path) -> None:
    assert cli("venue", "apply", str(FIXTURES / "zoo.toml"))[0] == 0
    code, out, err = cli("templates", "set-rule", "Adult day ticket", WEEKEND)
    assert code == 0, err
    assert "Adult day ticket: admits only when weekday is Saturday or Sunday" in out
    code, out, _ = cli("templates", "show", "Adult day ticket")
    assert code == 0 and "Custom rule: admits only when weekday is Saturday or Sunday" in out
    assert json.loads(out.strip().splitlines()[-1]) == json.loads(WEEKEND)
    listed = next(line for line in cli("templates", "list")[1].splitlines() if "Adult day ticket" in line)
    assert "Admits only when weekday is Saturday or Sunday." in listed

    rule_file = tmp_path / "rule.json"
    rule_file.write_text(TWO_A_DAY)
    assert cli("templates", "set-rule", "Adult day ticket", str(rule_file))[0] == 0
    assert "weekday is Saturday or Sunday or entries today < 2" in cli("templates", "show", "Adult day ticket")[1]

    code, out, _ = cli("templates", "set-rule", "Adult day ticket", "none")
    assert code == 0 and "Adult day ticket: no custom rule" in out
    assert "Custom rule: none" in cli("templates", "show", "Adult day ticket")[1]


def test_a_wrong_rule_is_a_message_naming_the_wrong_part_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    assert cli("venue", "apply", str(FIXTURES / "zoo.toml"))[0] == 0
    assert cli("templates", "set-rule", "Adult day ticket", WEEKEND)[0] == 0
    code, _, err = cli("templates", "set-rule", "Adult day ticket", '{"and": [{"<": [{"var": "entries_todya"}, 2]}]}')
    assert code == 2 and "Traceback" not in err
    assert "/and/0/</0/var: unknown variable 'entries_todya'" in err
    code, _, err = cli("templates", "set-rule", "Adult day ticket", '{"and": [')
    assert code == 2 and "not valid JSON" in err
    code, _, err = cli("templates", "set-rule", "Adult day ticket", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read the rule file" in err
    code, _, err = cli("templates", "set-rule", "Adult day tiket", WEEKEND)
    assert code == 2 and "did you mean 'Adult day ticket'" in err
    assert "weekday is Saturday or Sunday" in cli("templates", "show", "Adult day ticket")[1]  # unchanged


def test_the_venue_file_sets_exports_and_checks_a_custom_rule(cli: Cli, tmp_path: Path) -> None:
    venue = tmp_path / "zoo.toml"
    pass_block = f"""

[[templates]]
name = "Weekend pass"
price = 30
max_entries = "unlimited"
custom_rule = '{WEEKEND}'
"""
    venue.write_text((FIXTURES / "zoo.toml").read_text() + pass_block)
    code, _, err = cli("venue", "apply", str(venue))
    assert code == 0, err
    assert "weekday is Saturday or Sunday" in cli("templates", "show", "Weekend pass")[1]
    exported = tmp_path / "export.toml"
    assert cli("venue", "export", "--out", str(exported))[0] == 0
    assert "custom_rule = " in exported.read_text()
    assert "Nothing to change" in cli("venue", "apply", str(exported))[1]

    venue.write_text(venue.read_text().replace('"saturday"', '"caturday"'))
    code, _, err = cli("venue", "apply", str(venue))
    assert code == 2 and "custom_rule" in err and "at /in/1/0: unknown weekday" in err


def test_issue_sets_attributes_and_refuses_wrong_ones(cli: Cli, tmp_path: Path) -> None:
    assert cli("venue", "apply", str(FIXTURES / "zoo.toml"))[0] == 0
    sheet = tmp_path / "tickets.csv"
    code, _, err = cli("issue", "--template", "Adult day ticket", "--attribute", "age_group=child", "--out", str(sheet))
    assert code == 0, err
    code, _, err = cli("issue", "--template", "Adult day ticket", "--attribute", "Age Group=child")
    assert code == 2 and "--attribute" in err and "Traceback" not in err
    code, _, err = cli("issue", "--template", "Adult day ticket", "--attribute", "age_group")
    assert code == 2 and "NAME=VALUE" in err
