"""The gate checks a department's hand-off against its own rule, and bad organisation
config is refused naming the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.actions import Decision, HandOff
from bot.config import load
from bot.errors import ConfigError
from bot.gate.policy import GateContext, PolicyGate
from bot.rules.loader import parse_rule
from tests.core.helpers import mail
from tests.departments.conftest import org_home

RULE = """+++
when.subject = "(?i)invoice"
may = ["hand_off"]
hand_off = { to = ["accounts"] }
+++
Invoices go to accounts.
"""


def _check(action: HandOff, *, chain: str = "", cap: int = 4) -> str | None:
    rule = parse_rule(Path("rules/sales/invoices.md"), RULE)
    event = mail(subject="Invoice 1", refs={"chain": chain} if chain else None)
    ctx = GateContext(event=event, rule=rule, participants=event.participants, handoff_chain_cap=cap)
    result = PolicyGate().check(Decision(actions=(action,), rule=rule.name), ctx)
    return result.blocked[0][1] if result.blocked else None


def test_a_hand_off_the_rule_names_passes() -> None:
    assert _check(HandOff(to="accounts", objective="pay it")) is None


def test_a_hand_off_to_a_department_the_rule_does_not_name_is_blocked() -> None:
    assert "not in the rule's hand_off.to" in (_check(HandOff(to="legal", objective="sue")) or "")


def test_a_hand_off_back_along_the_chain_is_blocked() -> None:
    why = _check(HandOff(to="accounts", objective="again"), chain="accounts>sales")
    assert why is not None and "would loop" in why


def test_the_chain_is_bounded() -> None:
    why = _check(HandOff(to="accounts", objective="x"), chain="a>b", cap=2)
    assert why is not None and "limits.handoff_chain" in why


def test_no_rule_no_hand_off() -> None:
    event = mail(subject="Invoice 1")
    ctx = GateContext(event=event, rule=None, participants=event.participants)
    result = PolicyGate().check(Decision(actions=(HandOff(to="accounts", objective="x"),)), ctx)
    assert result.blocked and "no rule" in result.blocked[0][1]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'supervisor = "accounts"',
            'supervisor = "legal"',
            "departments.sales.supervisor: no department named 'legal'",
        ),
        (
            'signature = "Accounts, Example Ltd"\nsupervisor = "owner"',
            'signature = "Accounts, Example Ltd"\nsupervisor = "sales"',
            "supervision goes in a circle",
        ),
        (
            '# models = { decide = "small" }',
            'models = { decide = "huge" }',
            "departments.accounts.models.decide: no [models.huge] section",
        ),
        (
            'addresses = ["sales@example.test"]',
            'addresses = ["accounts@example.test"]',
            "is already accounts's",
        ),
        ("daily_budget = 2.0", "daily_budget = -1", "departments.sales.daily_budget"),
        ("front = true", 'front = true\nrulez = "x"', "departments.front.rulez: unknown key"),
        (
            "[digest]",
            '[channels.departments]\ntype = "local"\n[digest]',
            "channels.departments: the name is taken",
        ),
    ],
)
def test_bad_organisation_config_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    cfg = org_home(tmp_path, replace={old: new})
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert expected in str(err.value)
    assert f"{cfg}:" in str(err.value)


def test_a_hand_off_to_an_undeclared_department_fails_check(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = org_home(tmp_path)
    rule = cfg.parent / "rules" / "front" / "invoices.md"
    rule.write_text(rule.read_text().replace('to = ["accounts"]', 'to = ["billing"]'))
    from bot.check import check

    with pytest.raises(ConfigError) as err:
        check(load(cfg))
    assert f"{rule}: hand_off.to: no department named 'billing'" in str(err.value)


def test_the_example_organisation_checks_clean(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.check import check

    assert check(load(org_home(tmp_path))) == 0
    out = capsys.readouterr().out
    assert "department sales: 4 rules" in out and "supervisor accounts" in out


def test_the_owners_learned_rules_apply_in_every_department(tmp_path: Path) -> None:
    from bot.departments.rulebooks import DepartmentRules
    from bot.rules.model import Rulebook

    learned = parse_rule(Path("learned-1.md"), RULE, learned=True)
    main = Rulebook(owner=load_rulebook_owner(), rules=(learned,))
    cfg = org_home(tmp_path)
    book = DepartmentRules(
        name="sales", folder=cfg.parent / "rules" / "sales", main=lambda: main, signature="S"
    )()
    names = [r.name for r in book.rules]
    assert "sales/invoices" in names and learned.name in names
    assert book.owner.signature == "S"


def load_rulebook_owner():  # type: ignore[no-untyped-def]
    from bot.owner import OwnerProfile

    return OwnerProfile(name="Alex", signature="Alex")


def test_the_model_is_told_which_departments_the_rule_hands_to() -> None:
    from bot.agent.tools import tool_schemas

    rule = parse_rule(Path("rules/sales/invoices.md"), RULE)
    (hand_off,) = [t["function"] for t in tool_schemas(rule) if t["function"]["name"] == "hand_off"]
    assert "(accounts)" in hand_off["description"]
    assert hand_off["parameters"]["required"] == ["to", "objective"]


def test_check_warns_of_rules_outside_every_department(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.check import check

    cfg = org_home(tmp_path)
    (cfg.parent / "rules" / "stray.md").write_text(RULE)
    assert check(load(cfg)) == 0
    assert "(stray.md): with departments declared they do not apply" in capsys.readouterr().out
