"""The action table in bot/actions.py is the one list of actions; everything else agrees."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from bot.actions import (
    ACTION_NAMES,
    ACTIONS,
    BY_CLASS,
    BY_TOOL,
    EXTERNAL,
    Action,
    ActionName,
    Calendar,
    Escalate,
    File,
    FollowUp,
    Forward,
    Ignore,
    Notify,
    Offer,
    Remember,
    Reply,
    Webhook,
    action_name,
)
from bot.actions import (
    ToolCall as McpCall,
)
from bot.agent import tools
from bot.agent.llm_client import ToolCall


def test_each_action_class_has_exactly_one_entry() -> None:
    classes = [spec.cls for spec in ACTIONS]
    assert sorted(c.__name__ for c in classes) == sorted(c.__name__ for c in get_args(Action))
    assert len(classes) == len(set(classes))
    assert set(BY_CLASS) == set(get_args(Action))


def test_names_are_unique_and_agree_with_the_rule_literal() -> None:
    assert len({s.may for s in ACTIONS}) == len(ACTIONS)
    assert ACTION_NAMES == frozenset(get_args(ActionName))
    assert ACTION_NAMES == {
        "reply",
        "forward",
        "file",
        "ignore",
        "follow_up",
        "remember",
        "webhook",
        "offer",
        "hand_off",
        "calendar",
    }


def test_external_is_derived_from_the_table() -> None:
    assert EXTERNAL == tuple(s.cls for s in ACTIONS if s.external)
    assert set(EXTERNAL) == {Reply, Offer, Forward, Webhook, McpCall, Calendar}  # an MCP call leaves Deputy


def test_tool_names_and_required_fields_are_unchanged() -> None:
    assert tools.ACTION_TOOLS == (
        "reply",
        "offer",
        "forward",
        "file",
        "ignore",
        "follow_up",
        "remember",
        "webhook",
        "hand_off",  # departments (bot/departments): appended, so the others keep their order
    )
    assert tools.ASK_OWNER == "ask_owner"
    assert tools.TERMINAL == {"reply", "offer", "ignore", "ask_owner", "hand_off"}
    required = {name: schema["required"] for name, (_, schema) in tools._descriptions(None).items()}
    assert required == {
        "reply": ["text"],
        "offer": ["text", "amount", "currency"],
        "forward": ["to"],
        "file": [],
        "ignore": [],
        "follow_up": [],
        "remember": ["subject", "fact"],
        "webhook": [],
        "ask_owner": ["question"],
        "hand_off": ["to", "objective"],
        "get_thread_history": [],
        "get_contact_memory": [],
    }
    assert set(tools.ARG_MODELS) == {*BY_TOOL, *tools.CONSULT_TOOLS}


_SAMPLES: list[Action] = [
    Reply(text="hi"),
    Offer(text="ok", amount=1.0, currency="EUR"),
    Forward(to=("a@example.org",)),
    File(folder="x"),
    Ignore(),
    Escalate(question="?"),
    FollowUp(after_hours=1.0),
    Remember(subject="s", fact="f"),
    Webhook(url="https://example.org"),
    Notify(text="n"),
]


@pytest.mark.parametrize("action", _SAMPLES, ids=lambda a: type(a).__name__)
def test_action_name_comes_from_the_table(action: Action) -> None:
    assert action_name(action) == BY_CLASS[type(action)].may


# --- generated schemas accept exactly what the argument models accept ---------------------

_KNOWN = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "default",
    "minLength",
    "maxLength",
    "minimum",
    "minItems",
    "maxItems",
    "enum",
    "description",
}
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _valid(schema: dict[str, Any], value: Any) -> bool:
    """A small JSON-schema check, enough for the keywords the generated schemas use."""
    assert set(schema) <= _KNOWN, set(schema) - _KNOWN
    if "anyOf" in schema:
        return any(_valid(s, value) for s in schema["anyOf"])
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    if kind is not None:
        if isinstance(value, bool) and kind in ("number", "integer"):
            return False
        if not isinstance(value, _TYPES[kind]):
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 60):
            return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1 << 60):
            return False
        if "items" in schema and not all(_valid(schema["items"], v) for v in value):
            return False
    if isinstance(value, dict) and kind == "object":
        props = schema.get("properties", {})
        if any(k not in value for k in schema.get("required", [])):
            return False
        extra = [k for k in value if k not in props]
        if extra and schema.get("additionalProperties", True) is False:
            return False
        if not all(_valid(props[k], v) for k, v in value.items() if k in props):
            return False
    return True


_CASES: dict[str, list[dict[str, Any]]] = {
    "reply": [
        {"text": "hi"},
        {"text": "hi", "to": ["a@x.org"], "cc": []},
        {},
        {"text": ""},
        {"text": 3},
        {"text": "hi", "to": "a@x.org"},
        {"text": "hi", "bcc": []},
        {"text": "hi", "to": ["a"] * 21},
        {"text": "hi", "commits": [{"kind": "pay", "amount": 150, "currency": "EUR"}]},
        {"text": "hi", "commits": [{"kind": "date", "on": "2025-03-07"}]},
        {"text": "hi", "commits": [{"kind": "promise"}]},
        {"text": "hi", "commits": [{"amount": 1}]},
        {"text": "hi", "commits": [{"kind": "pay", "amount": -1}]},
        {"text": "hi", "commits": [{"kind": "pay", "extra": 1}]},
    ],
    "offer": [
        {"text": "t", "amount": 10.5, "currency": "EUR"},
        {"text": "t", "amount": 3, "currency": "EUR"},
        {"text": "t", "amount": -1.0, "currency": "EUR"},
        {"text": "t", "amount": 1.0, "currency": "EURO"},
        {"text": "t", "amount": 1.0},
        {"text": "t", "amount": 1.0, "currency": "EUR", "final": True},
        {"text": "t", "amount": 1.0, "currency": "EUR", "final": "yes"},
    ],
    "forward": [{"to": ["a@x.org"]}, {"to": []}, {"to": ["a"], "note": "n"}, {"note": "n"}],
    "file": [{}, {"folder": "Receipts"}, {"folder": None}, {"folder": "x" * 201}, {"folder": 1}],
    "ignore": [{}, {"reason": "spam"}, {"reason": "x" * 1001}, {"why": "x"}],
    "follow_up": [{}, {"after_hours": 2.0}, {"after_hours": None}, {"after_hours": "2"}, {"note": "n"}],
    "remember": [{"subject": "s", "fact": "f"}, {"subject": "s"}, {"subject": "", "fact": "f"}],
    "webhook": [{}, {"payload": {"a": 1}}, {"payload": []}],
    "hand_off": [
        {"to": "accounts", "objective": "approve"},
        {"to": "accounts", "objective": "o", "constraints": ["c"], "expected": "e", "deadline_hours": 4.0},
        {"to": "", "objective": "o"},
        {"to": "accounts"},
        {"to": "accounts", "objective": "o", "constraints": "c"},
        {"to": "accounts", "objective": "o", "chain": []},
    ],
    "ask_owner": [
        {"question": "q"},
        {"question": ""},
        {"question": "q", "options": ["a", "b"]},
        {"question": "q", "options": ["a"] * 7},
        {"question": "q", "proposed_reply": "r"},
        {"question": "q", "proposed_reply": None},
        {"reason": "r"},
    ],
}


def test_every_tool_has_cases() -> None:
    assert set(_CASES) == set(BY_TOOL)


@pytest.mark.parametrize("tool", sorted(_CASES))
def test_generated_schema_matches_the_argument_model(tool: str) -> None:
    spec = BY_TOOL[tool]
    assert spec.args is not None
    schema = spec.schema()
    assert set(schema["properties"]) == set(spec.args.model_fields) - spec.hidden
    for case in _CASES[tool]:
        try:
            spec.args.model_validate(case)
            accepted = True
        except ValidationError:
            accepted = False
        assert _valid(schema, case) == accepted, (tool, case)


def test_hidden_fields_are_not_offered_but_still_accepted() -> None:
    webhook = BY_TOOL["webhook"]
    assert "url" not in webhook.schema()["properties"]
    assert webhook.args is not None
    webhook.args.model_validate({"url": "https://example.org"})


def test_every_tool_maps_to_its_action_class() -> None:
    for tool, case in (
        ("reply", {"text": "hi"}),
        ("offer", {"text": "t", "amount": 1.0, "currency": "eur"}),
        ("forward", {"to": ["a@x.org"]}),
        ("file", {"folder": "F"}),
        ("ignore", {}),
        ("follow_up", {"after_hours": 1.0}),
        ("remember", {"subject": "s", "fact": "f"}),
        ("webhook", {}),
        ("ask_owner", {"question": "q"}),
    ):
        parsed = tools.parse_call(ToolCall(id="c", name=tool, arguments=json.dumps(case)), rule=None)
        assert parsed.error is None, parsed.error
        assert type(parsed.action) is BY_TOOL[tool].cls
