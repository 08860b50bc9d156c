"""Custom rules: what an admin may write (and the error that points at what is wrong), how a rule
decides an entry through `decide` (the function the service and every gate call), and how staff
read it, in their language."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from admission.domain.custom_rules import (
    MAX_DEPTH,
    MAX_NODES,
    RuleError,
    canonical_json,
    parse_rule,
    parse_rule_json,
    rule_words,
)
from admission.domain.model import (
    AdmittedPassage,
    Direction,
    GateInfo,
    Reason,
    TemplateRules,
    TicketFacts,
    Verdict,
)
from admission.domain.rules import decide
from admission.i18n import speaking

CPH = ZoneInfo("Europe/Copenhagen")
MAIN = GateInfo(name="Main", zone="hall")
VIP = GateInfo(name="VIP door", zone="vip", from_zone="hall")

WEEKDAY = {"var": "weekday"}
WEEKEND_ONLY = {"in": [WEEKDAY, ["saturday", "sunday"]]}
TWO_A_DAY_ON_WEEKDAYS = {
    "or": [WEEKEND_ONLY, {"<": [{"var": "entries_today"}, 2]}],
}
CHILDREN_BEFORE_SIX = {
    "or": [
        {"!=": [{"var": "attribute.age_group"}, "child"]},
        {"<": [{"var": "time_of_day"}, "18:00"]},
    ]
}


def cph(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """June 2026: the 13th is a Saturday, the 15th a Monday."""
    return datetime(2026, 6, day, hour, minute, tzinfo=CPH)


def pass_with(rule: dict[str, Any], *, attributes: dict[str, str] | None = None, **kw: object) -> TicketFacts:
    rules = TemplateRules(
        template_id=1, name="Pass", max_entries=None, custom_rule=canonical_json(rule), **kw  # type: ignore[arg-type]
    )
    return TicketFacts(serial=1, template=rules, attributes=attributes or {})


def went(at: datetime, direction: Direction = Direction.IN, gate: GateInfo = MAIN) -> AdmittedPassage:
    return AdmittedPassage(
        gate_name=gate.name, zone=gate.zone, from_zone=gate.from_zone, direction=direction, scanned_at=at
    )


# ---- what may be written, and where it is wrong ------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "problem"),
    [
        ({"and": [WEEKEND_ONLY, {"==": [{"var": "weekdy"}, 1]}]}, "/and/1/==/0/var", "unknown variable 'weekdy'"),
        ({"<": [WEEKDAY, "monday"]}, "/<", "'<' does not apply to weekday"),
        ({"==": [{"var": "entries_today"}, "two"]}, "/==/1", "expected a whole number here"),
        ({"==": [{"var": "entries_today"}, True]}, "/==/1", "expected a whole number here"),
        ({"==": [WEEKDAY, "caturday"]}, "/==/1", "unknown weekday"),
        ({">=": [{"var": "time_of_day"}, "25:00"]}, "/>=/1", "HH:MM"),
        ({"in": [WEEKDAY, "saturday"]}, "/in/1", "'in' takes a list"),
        ({"in": [WEEKDAY, ["saturday", 7]]}, "/in/1/1", "expected a weekday"),
        ({"==": [{"var": "zone"}]}, "/==", "takes two operands"),
        ({"==": ["hall", {"var": "zone"}]}, "/==/0", "the first operand must be a variable"),
        ({"not": [WEEKEND_ONLY, WEEKEND_ONLY]}, "/not", "'not' takes one rule"),
        ({"and": []}, "/and", "a list of 1 to 16 rules"),
        ({"xor": [WEEKEND_ONLY]}, "/xor", "unknown operator 'xor'"),
        ({"and": [WEEKEND_ONLY], "or": [WEEKEND_ONLY]}, "/", "one operator"),
        ({"==": [{"var": "attribute.Age Group"}, "x"]}, "/==/0/var", "unknown variable"),
        ({"==": [{"var": "gate"}, ""]}, "/==/1", "1 to 100 characters"),
    ],
)
def test_a_wrong_rule_is_refused_with_the_path_to_its_wrong_part(rule: object, path: str, problem: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert caught.value.path == path
    assert problem in caught.value.problem


def test_a_rule_too_deep_or_too_large_is_refused() -> None:
    deep: dict[str, Any] = WEEKEND_ONLY
    for _ in range(MAX_DEPTH):
        deep = {"not": deep}
    with pytest.raises(RuleError, match="nested too deep"):
        parse_rule(deep)
    wide = {"or": [{"and": [WEEKEND_ONLY] * 16} for _ in range(MAX_NODES // 16)]}
    with pytest.raises(RuleError, match="too large"):
        parse_rule(wide)
    with pytest.raises(RuleError, match="not valid JSON"):
        parse_rule_json('{"and": [')


# ---- deciding ------------------------------------------------------------------------------


def test_a_weekend_pass_admits_on_saturday_and_sunday_only() -> None:
    ticket = pass_with(WEEKEND_ONLY)
    assert decide(ticket, [], MAIN, Direction.IN, cph(13), CPH).verdict is Verdict.ADMIT
    assert decide(ticket, [], MAIN, Direction.IN, cph(14, 23, 59), CPH).verdict is Verdict.ADMIT
    monday = decide(ticket, [], MAIN, Direction.IN, cph(15, 0, 0), CPH)  # venue midnight, not UTC's
    assert monday.verdict is Verdict.REJECT and monday.reason is Reason.CUSTOM_RULE
    assert monday.message == "Rule not met: weekday is Saturday or Sunday"
    # Exits are always admitted, whatever the rule.
    assert decide(ticket, [], MAIN, Direction.OUT, cph(15), CPH).verdict is Verdict.ADMIT


def test_two_entries_a_day_on_weekdays_counts_the_days_entries_in_venue_time() -> None:
    ticket = pass_with(TWO_A_DAY_ON_WEEKDAYS)
    monday = [went(cph(15, 9)), went(cph(15, 10), Direction.OUT), went(cph(15, 11))]
    third = decide(ticket, monday, MAIN, Direction.IN, cph(15, 14), CPH)
    assert third.reason is Reason.CUSTOM_RULE
    assert third.message == "Rule not met: weekday is Saturday or Sunday or entries today < 2"
    assert decide(ticket, monday[:1], MAIN, Direction.IN, cph(15, 14), CPH).admitted
    # Next morning the day's count starts again; on the weekend it does not matter.
    assert decide(ticket, monday, MAIN, Direction.IN, cph(16, 0, 1), CPH).admitted
    saturday = [went(cph(13, h)) for h in (9, 10, 11)]
    assert decide(ticket, saturday, MAIN, Direction.IN, cph(13, 14), CPH).admitted


def test_children_enter_only_before_six_by_their_tickets_attribute() -> None:
    child = pass_with(CHILDREN_BEFORE_SIX, attributes={"age_group": "child"})
    adult = pass_with(CHILDREN_BEFORE_SIX, attributes={"age_group": "adult"})
    plain = pass_with(CHILDREN_BEFORE_SIX)  # no age group: `!=` with an unknown value does not hold
    assert decide(child, [], MAIN, Direction.IN, cph(15, 17, 59), CPH).admitted
    late = decide(child, [], MAIN, Direction.IN, cph(15, 18, 0), CPH)
    assert late.reason is Reason.CUSTOM_RULE
    assert late.message == "Rule not met: ticket's age group is not child or time of day < 18:00"
    assert decide(adult, [], MAIN, Direction.IN, cph(15, 20), CPH).admitted
    assert not decide(plain, [], MAIN, Direction.IN, cph(15, 20), CPH).admitted


def test_a_refusal_names_the_part_of_a_top_level_and_that_does_not_hold() -> None:
    rule = {"and": [{"==": [{"var": "zone"}, "hall"]}, {">=": [{"var": "minutes_since_last_entry"}, 30]}]}
    ticket = pass_with(rule)
    assert decide(ticket, [], MAIN, Direction.IN, cph(15), CPH).reason is Reason.CUSTOM_RULE  # no entry yet
    soon = decide(ticket, [went(cph(15, 12))], MAIN, Direction.IN, cph(15, 12, 20), CPH)
    assert soon.message == "Rule not met: minutes since the last entry ≥ 30"
    assert decide(ticket, [went(cph(15, 12))], MAIN, Direction.IN, cph(15, 12, 30), CPH).admitted
    vip = decide(ticket, [], VIP, Direction.IN, cph(15), CPH)
    assert vip.message == "Rule not met: zone is hall"


def test_the_rule_reads_entries_and_days_in_the_gates_zone_with_carried_entries() -> None:
    rule = {"and": [{"<=": [{"var": "days_since_first_entry"}, 2]}, {"<": [{"var": "entries_total"}, 3]}]}
    ticket = pass_with(rule)
    history = [went(cph(13, 10)), went(cph(13, 11), Direction.OUT)]
    assert decide(ticket, history, MAIN, Direction.IN, cph(15, 23), CPH).admitted  # two venue days on
    late = decide(ticket, history, MAIN, Direction.IN, cph(16, 0, 5), CPH)
    assert late.message == "Rule not met: days since the first entry ≤ 2"
    # Entries carried over from a reissued ticket count in entries_total, as for max_entries.
    carried = TicketFacts(serial=1, template=ticket.template, entries_carried=2)
    assert decide(carried, history, MAIN, Direction.IN, cph(13, 12), CPH).message == (
        "Rule not met: entries in all < 3"
    )
    # Entries into another zone do not count here.
    three = pass_with({"<": [{"var": "entries_total"}, 3]})
    assert decide(three, [went(cph(13, 9), gate=VIP)] * 3, MAIN, Direction.IN, cph(13, 12), CPH).admitted
    assert not decide(three, [went(cph(13, 9))] * 3, MAIN, Direction.IN, cph(13, 12), CPH).admitted


def test_the_rule_applies_to_a_free_re_entry_too() -> None:
    ticket = pass_with({"<": [{"var": "time_of_day"}, "17:00"]}, reentry_allowed=True)
    history = [went(cph(15, 9)), went(cph(15, 12), Direction.OUT)]
    assert decide(ticket, history, MAIN, Direction.IN, cph(15, 13), CPH).reentry
    late = decide(ticket, history, MAIN, Direction.IN, cph(15, 17, 30), CPH)
    assert late.reason is Reason.CUSTOM_RULE and late.message == "Rule not met: time of day < 17:00"


def test_the_built_in_rules_answer_before_the_custom_rule() -> None:
    ticket = pass_with(WEEKEND_ONLY, min_minutes_between_entries=10)
    refused = decide(ticket, [went(cph(15, 12))], MAIN, Direction.IN, cph(15, 12, 5), CPH)
    assert refused.reason is Reason.TOO_SOON


def test_a_rule_this_release_cannot_read_refuses_and_says_so() -> None:
    rules = TemplateRules(template_id=1, name="Pass", max_entries=None, custom_rule='{"~=": [1, 2]}')
    refused = decide(TicketFacts(serial=1, template=rules), [], MAIN, Direction.IN, cph(15), CPH)
    assert refused.reason is Reason.CUSTOM_RULE
    assert refused.message.startswith("This gate cannot read the template's rule")


# ---- in words ------------------------------------------------------------------------------


def test_a_rule_reads_in_words_with_brackets_where_they_matter() -> None:
    rule = parse_rule({"and": [TWO_A_DAY_ON_WEEKDAYS, {"not": {"==": [{"var": "gate"}, "North"]}}]})
    assert rule_words(rule) == (
        "(weekday is Saturday or Sunday or entries today < 2) and not (gate is North)"
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("sv", "veckodag är lördag eller söndag och inpasseringar i dag < 2"),
        ("da", "ugedag er lørdag eller søndag og adgange i dag < 2"),
        ("de", "Wochentag ist Samstag oder Sonntag und Eintritte heute < 2"),
        ("fi", "viikonpäivä on lauantai tai sunnuntai ja käynnit tänään < 2"),
    ],
)
def test_staff_read_the_rule_in_their_language(language: str, words: str) -> None:
    rule = parse_rule({"and": [WEEKEND_ONLY, {"<": [{"var": "entries_today"}, 2]}]})
    with speaking(language):
        assert rule_words(rule) == words
