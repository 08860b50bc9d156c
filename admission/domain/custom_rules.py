"""Custom rules: a small declarative expression per template, in JSON, that an entry must meet.

The language is JsonLogic-like (after pretix's check-in list rules), kept small enough to be
checked whole when it is saved and explained in words to staff:

    {"and": [{"in": [{"var": "weekday"}, ["saturday", "sunday"]]},
             {"<": [{"var": "entries_today"}, 2]}]}

- `and`, `or`: a list of 1 to 16 rules; `not`: one rule (or a list of one);
- comparisons `==`, `!=`, `<`, `<=`, `>`, `>=`: `[{"var": NAME}, value]`, the variable first;
- `in`: `[{"var": NAME}, [value, ...]]`.

Variables (see VARIABLES): the weekday and time of day of the scan in the venue's time zone, the
gate's zone and name, the ticket's entries today, in all, days since its first entry, minutes
since its last entry (each counted in the gate's zone, as the other entry rules count), and the
ticket's attributes (`attribute.age_group`). A value that is not known (no entry yet, an
attribute the ticket does not have) makes every comparison with it false, `!=` too; `not` of
such a comparison is true.

Parsing checks everything once (names, types, arities, size): evaluation is then a pure function
of a `RuleContext` and cannot fail, so the service and every gate evaluate the same rule alike.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import msgspec
from babel.dates import get_day_names

from admission.i18n import N_, _, babel_locale

MAX_DEPTH = 8  # nested and/or/not levels, comparisons included
MAX_NODES = 64  # rules and comparisons in one expression
MAX_LIST = 50  # values of one `in`
MAX_TEXT = 100  # characters of one text value
MAX_OPERANDS = 16  # rules of one `and` / `or`
MAX_JSON_CHARS = 8000

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ATTRIBUTE_PREFIX = "attribute."
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class Kind(enum.Enum):
    NUMBER = N_("a whole number")
    TEXT = N_("text")
    WEEKDAY = N_("a weekday")
    TIME = N_("a time of day")


VARIABLES: dict[str, Kind] = {
    "weekday": Kind.WEEKDAY,
    "time_of_day": Kind.TIME,
    "zone": Kind.TEXT,
    "gate": Kind.TEXT,
    "entries_today": Kind.NUMBER,
    "entries_total": Kind.NUMBER,
    "days_since_first_entry": Kind.NUMBER,
    "minutes_since_last_entry": Kind.NUMBER,
}

VARIABLE_WORDS: dict[str, str] = {
    "weekday": N_("weekday"),
    "time_of_day": N_("time of day"),
    "zone": N_("zone"),
    "gate": N_("gate"),
    "entries_today": N_("entries today"),
    "entries_total": N_("entries in all"),
    "days_since_first_entry": N_("days since the first entry"),
    "minutes_since_last_entry": N_("minutes since the last entry"),
}

ORDERING = ("<", "<=", ">", ">=")
COMPARISONS = ("==", "!=", *ORDERING)
# Which comparisons make sense for each kind: a weekday or a zone is not "less" than another.
ALLOWED = {
    Kind.NUMBER: (*COMPARISONS, "in"),
    Kind.TIME: (*COMPARISONS, "in"),
    Kind.TEXT: ("==", "!=", "in"),
    Kind.WEEKDAY: ("==", "!=", "in"),
}
COMPARISON_WORDS: dict[str, str] = {
    "==": N_("{variable} is {value}"),
    "!=": N_("{variable} is not {value}"),
    "<": N_("{variable} < {value}"),
    "<=": N_("{variable} ≤ {value}"),
    ">": N_("{variable} > {value}"),
    ">=": N_("{variable} ≥ {value}"),
    "in": N_("{variable} is {value}"),
}

Value = int | str


class RuleError(ValueError):
    """A rule that cannot be saved: where in it (`/and/1/in/0`, a JSON pointer) and what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '/'}: {problem}")
        self.path = path or "/"
        self.problem = problem


class Compare(msgspec.Struct, frozen=True):
    op: str
    variable: str
    value: Value | tuple[Value, ...]  # weekdays as 1..7 (ISO), times as minutes of the day


class AllOf(msgspec.Struct, frozen=True):
    rules: tuple[Rule, ...]


class AnyOf(msgspec.Struct, frozen=True):
    rules: tuple[Rule, ...]


class Not(msgspec.Struct, frozen=True):
    rule: Rule


Rule = Compare | AllOf | AnyOf | Not


class RuleContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a rule may read of one entry, computed by the verdict rules (admission.domain.rules)."""

    weekday: int  # ISO: Monday 1 .. Sunday 7, venue time
    minute_of_day: int  # venue time
    zone: str
    gate: str
    entries_today: int
    entries_total: int
    days_since_first_entry: int | None
    minutes_since_last_entry: int | None
    attributes: Mapping[str, str] = {}


# ---- parsing -------------------------------------------------------------------------------


def parse_rule(expression: object) -> Rule:
    """The rule an admin wrote (decoded JSON), checked whole; RuleError names the first problem."""
    counter = [0]
    return _parse(expression, "", 1, counter)


def parse_rule_json(text: str | bytes) -> Rule:
    """A rule from JSON text (a file, the command line)."""
    if len(text) > MAX_JSON_CHARS:
        too_large = _("the rule is too large: at most {count} characters")
        raise RuleError("", too_large.format(count=MAX_JSON_CHARS))
    try:
        expression = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise RuleError("", _("not valid JSON: {error}").format(error=exc)) from exc
    return parse_rule(expression)


@lru_cache(maxsize=512)
def cached_rule(canonical: str) -> Rule:
    """A template's rule as it travels (canonical JSON), parsed once per process."""
    return parse_rule_json(canonical)


def canonical_json(expression: object) -> str:
    return msgspec.json.encode(expression, order="sorted").decode()


def _parse(node: object, path: str, depth: int, counter: list[int]) -> Rule:
    if depth > MAX_DEPTH:
        raise RuleError(path, _("nested too deep: at most {count} levels").format(count=MAX_DEPTH))
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise RuleError(path, _("the rule is too large: at most {count} parts").format(count=MAX_NODES))
    if not isinstance(node, dict) or len(node) != 1:
        raise RuleError(path, _('each rule is an object with one operator, e.g. {{"and": [...]}}'))
    ((op, args),) = node.items()
    here = f"{path}/{_escape(str(op))}"
    if op in ("and", "or"):
        if not isinstance(args, list) or not 1 <= len(args) <= MAX_OPERANDS:
            raise RuleError(
                here, _("'{op}' takes a list of 1 to {count} rules").format(op=op, count=MAX_OPERANDS)
            )
        rules = tuple(_parse(arg, f"{here}/{i}", depth + 1, counter) for i, arg in enumerate(args))
        return AllOf(rules) if op == "and" else AnyOf(rules)
    if op == "not":
        if isinstance(args, list):
            if len(args) != 1:
                raise RuleError(here, _("'not' takes one rule"))
            return Not(_parse(args[0], f"{here}/0", depth + 1, counter))
        return Not(_parse(args, here, depth + 1, counter))
    if op in COMPARISONS or op == "in":
        return _parse_comparison(str(op), args, here)
    known = ", ".join(("and", "or", "not", *COMPARISONS, "in"))
    raise RuleError(here, _("unknown operator '{op}': use one of {known}").format(op=op, known=known))


def _parse_comparison(op: str, args: object, here: str) -> Compare:
    if not isinstance(args, list) or len(args) != 2:
        raise RuleError(here, _("'{op}' takes two operands: a variable and a value").format(op=op))
    variable, value = args
    name = _variable_name(variable, f"{here}/0")
    kind = variable_kind(name)
    if op not in ALLOWED[kind]:
        allowed = ", ".join(ALLOWED[kind])
        raise RuleError(
            here,
            _("'{op}' does not apply to {variable} ({kind}): use {allowed}").format(
                op=op, variable=name, kind=_(kind.value), allowed=allowed
            ),
        )
    if op == "in":
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            raise RuleError(f"{here}/1", _("'in' takes a list of 1 to {count} values").format(count=MAX_LIST))
        values = tuple(_literal(v, kind, f"{here}/1/{i}") for i, v in enumerate(value))
        return Compare(op, name, values)
    return Compare(op, name, _literal(value, kind, f"{here}/1"))


def variable_kind(name: str) -> Kind:
    return Kind.TEXT if name.startswith(ATTRIBUTE_PREFIX) else VARIABLES[name]


def _variable_name(node: object, path: str) -> str:
    if not isinstance(node, dict) or set(node) != {"var"} or not isinstance(node["var"], str):
        raise RuleError(path, _('the first operand must be a variable, e.g. {{"var": "weekday"}}'))
    name = node["var"]
    if name in VARIABLES:
        return name
    if name.startswith(ATTRIBUTE_PREFIX) and ATTRIBUTE_NAME.match(name.removeprefix(ATTRIBUTE_PREFIX)):
        return name
    known = ", ".join([*VARIABLES, ATTRIBUTE_PREFIX + "NAME"])
    unknown = _("unknown variable '{name}': use one of {known}")
    raise RuleError(f"{path}/var", unknown.format(name=name, known=known))


def _literal(value: object, kind: Kind, path: str) -> Value:
    expected = _("expected {kind} here, not {value}")
    wrong = RuleError(path, expected.format(kind=_(kind.value), value=_shown(value)))
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int) or not -1_000_000 <= value <= 1_000_000:
            raise wrong
        return value
    if not isinstance(value, str):
        raise wrong
    if kind is Kind.WEEKDAY:
        if value.lower() not in WEEKDAYS:
            raise RuleError(path, _("unknown weekday {value}: use one of {known}").format(
                value=_shown(value), known=", ".join(WEEKDAYS)
            ))
        return WEEKDAYS.index(value.lower()) + 1
    if kind is Kind.TIME:
        clock = _CLOCK.match(value)
        if clock is None:
            raise RuleError(path, _("expected a time of day as HH:MM (24 hours), not {value}").format(
                value=_shown(value)
            ))
        return int(clock[1]) * 60 + int(clock[2])
    if not 1 <= len(value) <= MAX_TEXT:
        raise RuleError(path, _("a text value has 1 to {count} characters").format(count=MAX_TEXT))
    return value


def _shown(value: object) -> str:
    return msgspec.json.encode(value).decode()[:40]


def _escape(token: str) -> str:
    """A JSON pointer's token (RFC 6901): '~' and '/' escaped."""
    return token.replace("~", "~0").replace("/", "~1")


# ---- evaluating ----------------------------------------------------------------------------


def holds(rule: Rule, context: RuleContext) -> bool:
    if isinstance(rule, AllOf):
        return all(holds(r, context) for r in rule.rules)
    if isinstance(rule, AnyOf):
        return any(holds(r, context) for r in rule.rules)
    if isinstance(rule, Not):
        return not holds(rule.rule, context)
    return _compare(rule, context)


def failing_part(rule: Rule, context: RuleContext) -> Rule | None:
    """None when the rule holds; else the part staff should read: the first part of a top-level
    `and` that does not hold ("entries today < 2"), or the whole rule."""
    if holds(rule, context):
        return None
    if isinstance(rule, AllOf):
        return next(r for r in rule.rules if not holds(r, context))
    return rule


def value_of(variable: str, context: RuleContext) -> Value | None:
    if variable.startswith(ATTRIBUTE_PREFIX):
        return context.attributes.get(variable.removeprefix(ATTRIBUTE_PREFIX))
    value: Value | None
    match variable:
        case "weekday":
            value = context.weekday
        case "time_of_day":
            value = context.minute_of_day
        case "zone":
            value = context.zone
        case "gate":
            value = context.gate
        case "entries_today":
            value = context.entries_today
        case "entries_total":
            value = context.entries_total
        case "days_since_first_entry":
            value = context.days_since_first_entry
        case _:
            value = context.minutes_since_last_entry
    return value


def _compare(rule: Compare, context: RuleContext) -> bool:
    actual = value_of(rule.variable, context)
    if actual is None:  # unknown: no comparison holds
        return False
    expected = rule.value
    if rule.op == "in":
        return isinstance(expected, tuple) and actual in expected
    if isinstance(expected, tuple):
        return False
    if rule.op == "==":
        return actual == expected
    if rule.op == "!=":
        return actual != expected
    if not isinstance(actual, int) or not isinstance(expected, int):
        return False  # parsing allows ordering on numbers and times only
    return {
        "<": actual < expected,
        "<=": actual <= expected,
        ">": actual > expected,
        ">=": actual >= expected,
    }[rule.op]


# ---- in words ------------------------------------------------------------------------------


def rule_words(rule: Rule) -> str:
    """The rule as staff read it, in the current language: "weekday is Saturday or Sunday and
    entries today < 2"."""
    if isinstance(rule, AllOf | AnyOf):
        joiner = _("{left} and {right}") if isinstance(rule, AllOf) else _("{left} or {right}")
        parts = [_nested_words(r, type(rule)) for r in rule.rules]
        said = parts[0]
        for part in parts[1:]:
            said = joiner.format(left=said, right=part)
        return said
    if isinstance(rule, Not):
        return _("not ({rule})").format(rule=rule_words(rule.rule))
    return _comparison_words(rule)


def _nested_words(rule: Rule, parent: type) -> str:
    words = rule_words(rule)
    if isinstance(rule, AllOf | AnyOf) and not isinstance(rule, parent) and len(rule.rules) > 1:
        return f"({words})"
    return words


def _comparison_words(rule: Compare) -> str:
    if rule.variable.startswith(ATTRIBUTE_PREFIX):
        attribute = rule.variable.removeprefix(ATTRIBUTE_PREFIX).replace("_", " ")
        variable = _("ticket's {attribute}").format(attribute=attribute)
    else:
        variable = _(VARIABLE_WORDS[rule.variable])
    kind = variable_kind(rule.variable)
    if isinstance(rule.value, tuple):
        values = [_value_words(v, kind) for v in rule.value]
        shown = values[0] if len(values) == 1 else _("{items} or {last}").format(
            items=", ".join(values[:-1]), last=values[-1]
        )
    else:
        shown = _value_words(rule.value, kind)
    return _(COMPARISON_WORDS[rule.op]).format(variable=variable, value=shown)


def _value_words(value: Value, kind: Kind) -> str:
    if kind is Kind.WEEKDAY and isinstance(value, int):
        return str(get_day_names("wide", context="stand-alone", locale=babel_locale())[value - 1])
    if kind is Kind.TIME and isinstance(value, int):
        return f"{value // 60:02d}:{value % 60:02d}"
    return str(value)


def expression_words(expression: Any) -> str:
    """A stored rule (decoded JSON) in words; the error itself for a rule this release cannot read."""
    try:
        return rule_words(parse_rule(expression))
    except RuleError as exc:
        return _("unreadable rule ({error})").format(error=exc)
