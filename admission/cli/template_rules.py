"""`admission templates set-rule`: a template's custom rule (docs/entry-rules.md, "Custom
rules") set from a file or from JSON on the line, checked before anything changes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec
from rich.markup import escape

from admission.cli.common import (
    CliError,
    add_database_options,
    console,
    run,
    settings_from,
    writing,
)
from admission.contract import TemplateData, TemplateIn
from admission.domain.custom_rules import MAX_JSON_CHARS, RuleError, expression_words, parse_rule_json
from admission.i18n import _

CLEARING = ("none", "off")


def read_rule(source: str) -> dict[str, Any] | None:
    """The rule from JSON on the line (it starts with '{'), a file, or '-' (standard input);
    'none' removes the template's rule. Checked here, so a mistake is named before any change."""
    if source.strip().lower() in CLEARING:
        return None
    if source.lstrip().startswith("{"):
        text, where = source, _("the rule")
    else:
        try:
            if source == "-":
                text = sys.stdin.read(MAX_JSON_CHARS + 1)
            else:
                text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            unreadable = _("cannot read the rule file {file}: {error}")
            raise CliError(unreadable.format(file=source, error=exc)) from exc
        where = source
    try:
        parse_rule_json(text)
    except RuleError as exc:
        raise CliError(
            _("{where} at {path}: {problem}").format(where=where, path=exc.path, problem=exc.problem)
        ) from exc
    expression = msgspec.json.decode(text)
    assert isinstance(expression, dict)  # parse_rule_json accepted it: an object
    return expression


def cmd_templates_set_rule(args: argparse.Namespace) -> int:
    from admission.services import catalog

    rule = read_rule(args.rule)

    async def work(session: Any) -> TemplateData:
        template = await catalog.template_by_name(session, args.template)
        data = catalog.template_data(template)
        fields = {f: getattr(data, f) for f in TemplateIn.__struct_fields__ if f != "custom_rule"}
        try:
            written = msgspec.to_builtins(TemplateIn(**fields, custom_rule=rule))
            checked = msgspec.convert(written, TemplateIn)
        except msgspec.ValidationError as exc:
            raise CliError(str(exc)) from exc
        return await catalog.update_template(session, template.id, checked)

    updated = run(writing(settings_from(args), work))
    if updated.custom_rule is None:
        console.print(_("{name}: no custom rule").format(name=escape(updated.name)))
    else:
        words = expression_words(updated.custom_rule)
        said = _("{name}: admits only when {rule}")
        console.print(said.format(name=escape(updated.name), rule=escape(words)))
    return 0


def register(template_commands: Any) -> None:
    set_rule = template_commands.add_parser(
        "set-rule", help="a template's custom rule (docs/entry-rules.md): JSON, a file, '-' or 'none'"
    )
    add_database_options(set_rule)
    set_rule.add_argument("template", help="the template's name")
    set_rule.add_argument(
        "rule", help="the rule as JSON ('{\"in\": [...]}'), a file holding it, '-' (standard input) or 'none'"
    )
    set_rule.set_defaults(handler=cmd_templates_set_rule)
