"""How tasks come in: the owner's "task:" orders (structured, or free text turned
into structure by a model) and the standing tasks of rules/tasks.toml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.gate.policy import addresses_in
from bot.rules.model import Rulebook
from bot.store import Claimed
from bot.store.tasks import Tasks
from bot.tasks.model import (
    KINDS,
    MODEL_NEEDED,
    QuotesSpec,
    RecurringSpec,
    Spec,
    TaskError,
    build_spec,
    form_of,
    parse,
    title_of,
)
from bot.tasks.quotes import QuotesFlow
from bot.tasks.recurring import RecurringFlow
from bot.tasks.tools import TaskTools, _offer_text, _price, _task_event, _tz  # noqa: F401

PLAN_PROMPT = (
    "You turn the owner's task into exactly one structured task by calling make_task. "
    "Kinds: 'quotes' (ask recipients for a price, accept the cheapest within budget: needs to, "
    "request, budget like '300 EUR'; optional subject, deadline and follow_up like '7d', '3d', note) "
    "and 'recurring' (send text to recipients on a schedule: needs to, text, every like "
    "'monday 09:00' or 'day 09:00'; optional subject, note). Use only addresses the owner wrote. "
    "Write the request or text as the message the recipients will read. If the task fits "
    "neither kind, do not call the tool; say why in one sentence."
)
_FIELD = {"type": "string"}
PLAN_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "make_task",
        "description": "The structured form of the owner's task.",
        "parameters": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": list(("quotes", "recurring"))},
                "to": {"type": "array", "items": {"type": "string"}},
                **{k: _FIELD for k in ("subject", "request", "budget", "deadline", "follow_up")},
                **{k: _FIELD for k in ("text", "every", "note")},
            },
            "required": ["kind", "to"],
            "additionalProperties": False,
        },
    },
}


class TaskIntake:
    def __init__(self, tools: TaskTools, *, quotes: QuotesFlow, recurring: RecurringFlow) -> None:
        self.tools = tools
        self.store = tools.store
        self.settings = tools.settings
        self.executor = tools.executor
        self.clock = tools.clock
        self.llm = tools.llm
        self.quotes = quotes
        self.recurring = recurring

    async def create(self, claimed: Claimed, rulebook: Rulebook, text: str) -> None:
        event = claimed.event
        assert event.sender_verified_owner, "the router lets only the verified owner give instructions"
        actions: list[str] = []
        try:
            kind, spec, free = parse(text)
            if spec is None:
                if self.llm is None:
                    raise TaskError(MODEL_NEEDED)
                kind, spec = await self._plan(free)
            channel = self.tools.mail_channel(spec.channel)
        except TaskError as exc:
            async with self.store.db.transaction() as tx:
                await self.tools.tell(tx, rulebook, event, f"I did not take this task: {exc}", key="refused")
                await self.tools.finish_in(
                    tx, claimed, "refused", (f"task refused: {exc}",), ["told the owner"]
                )
            return
        async with self.store.db.transaction() as tx:
            task_id, created = await Tasks.create_in(
                tx, key=event.id, kind=kind, title=title_of(kind, spec), spec=spec, created_by=event.channel
            )
            if created:
                task = await self.store.tasks.get(task_id)
                assert task is not None
                if isinstance(spec, QuotesSpec):
                    actions += await self.quotes.start(tx, rulebook, task, spec, channel)
                    summary = f"I sent the request to {', '.join(spec.to)} and will report back."
                else:
                    assert isinstance(spec, RecurringSpec)
                    actions += await self.recurring.schedule_next(
                        tx, rulebook, task, spec, after=self.clock()
                    )
                    summary = actions[-1]
                text = f"Task #{task_id} taken: {task.title}. {summary}\n\n{form_of(kind, spec)}"
                await self.tools.tell(tx, rulebook, event, text, key="taken")
            await self.tools.finish_in(tx, claimed, "task", (f"task #{task_id} from the owner",), actions)

    async def sync_standing(self, rules_dir: Path, rulebook: Rulebook) -> list[int]:
        """Standing tasks from ``<rules_dir>/tasks.toml`` (``[[task]]`` tables with a unique
        ``name``), created once each: a restart or an unchanged file adds nothing."""
        from bot.errors import ConfigError
        from bot.tasks.model import read_standing_tasks

        path = rules_dir / "tasks.toml"
        created_ids: list[int] = []
        for name, spec in read_standing_tasks(path):
            kind = "recurring"
            try:
                self.tools.mail_channel(spec.channel)
            except TaskError as exc:
                raise ConfigError(f"{path}: task {name!r}: {exc}") from None
            async with self.store.db.transaction() as tx:
                task_id, created = await Tasks.create_in(
                    tx,
                    key=f"standing:{name}",
                    kind=kind,
                    title=title_of(kind, spec),
                    spec=spec,
                    created_by=str(path),
                )
                if created:
                    task = await self.store.tasks.get(task_id)
                    assert task is not None and isinstance(spec, RecurringSpec)
                    await self.recurring.schedule_next(tx, rulebook, task, spec, after=self.clock())
                    created_ids.append(task_id)
        return created_ids

    async def _plan(self, free: str) -> tuple[str, Spec]:
        """A free-text task -> one structured task, by the model. The model only fills in
        the form: the result is validated like a typed one, and it may name no recipient
        the owner did not write (the owner's words are the only source of addresses)."""
        from bot.agent.llm_client import LLMUnavailable

        assert self.llm is not None
        messages = [
            {"role": "system", "content": PLAN_PROMPT},
            {"role": "user", "content": free},
        ]
        try:
            result = await self.llm.chat(messages, tools=[PLAN_TOOL], tool_choice="auto")
        except LLMUnavailable as exc:
            raise TaskError(
                f"the model is unavailable ({exc}); write the task in a structured form"
            ) from None
        call = next((c for c in result.tool_calls if c.name == "make_task"), None)
        if call is None:
            why = (result.content or "").strip()[:300]
            raise TaskError(f"the model could not turn this into a quotes or recurring task. {why}".strip())
        try:
            args = json.loads(call.arguments)
            kind = str(args.pop("kind"))
        except (ValueError, KeyError, AttributeError):
            raise TaskError("the model's plan was malformed") from None
        if kind not in KINDS:
            raise TaskError(f"the model proposed a task of kind {kind!r}, which I cannot carry out")
        if isinstance(args.get("to"), list):
            args["to"] = ", ".join(str(a) for a in args["to"])
        spec = build_spec(kind, {k: str(v) for k, v in args.items() if v not in (None, "")})
        strangers = sorted(set(spec.to) - addresses_in(free))
        if strangers:
            raise TaskError(f"the model proposed {strangers[0]}, who is not named in your task")
        return kind, spec
