"""Tasks from the owner (issue 7): the model, the structured forms and the state machine.

A task is an assignment Deputy pursues over days. Two structured kinds work without a
model:

``quotes``     ask named recipients for a price, wait, follow up once on the slow ones,
               accept the cheapest offer within budget, decline the others, report; when
               nothing fits the budget, ask the owner with each offer as an option.
``recurring``  a standing task: send a template to named recipients every week (or day)
               at a local time; each occurrence fires exactly once (one timer per period).

A task is written as ``key: value`` lines after a ``task: KIND`` line (chat, email or
``deputy task add``)::

    task: quotes
    to: a@print-a.example, b@print-b.example
    subject: Quote for 500 brochures
    request: Please quote 500 brochures, A5, 4 pages, delivered by 12 May.
    budget: 300 EUR
    deadline: 7d
    follow_up: 3d
    note: any comment for me

Anything else after ``task:`` is a free-text task: it needs a model (see ``refusal``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.gate.textscan import is_address
from bot.rules.model import parse_duration_hours

KINDS = ("quotes", "recurring")
# planned -> waiting -> done | failed | needs_owner ; needs_owner -> done | failed.
# Every live state may be paused by the owner; a pause ends in the state it left (resume)
# or in failed (cancel). Nothing else leaves a pause: see ``can_move``.
LIVE = ("planned", "waiting", "needs_owner")
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"waiting", "failed", "needs_owner", "done", "paused"}),
    "waiting": frozenset({"waiting", "done", "failed", "needs_owner", "paused"}),
    "needs_owner": frozenset({"done", "failed", "waiting", "paused"}),
    "paused": frozenset({*LIVE, "failed"}),
    "done": frozenset(),
    "failed": frozenset(),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KEYS = {
    "quotes": {"to", "subject", "request", "budget", "deadline", "follow_up", "note", "channel"},
    "recurring": {"to", "subject", "text", "every", "note", "channel"},
}
_REQUIRED = {"quotes": {"to", "request", "budget"}, "recurring": {"to", "text", "every"}}
MODEL_NEEDED = (
    "I can only take structured tasks without a model: a free-text task needs a model "
    "(see [llm] in config.toml). Structured forms: 'task: quotes' (to, request, budget, "
    "deadline, follow_up) and 'task: recurring' (to, text, every). See `deputy task add --help`."
)


class TaskError(ValueError):
    """A task the owner wrote that cannot be carried out as written (message for the owner)."""


def can_move(old: str, new: str, *, paused_from: str = "") -> bool:
    """Whether a task in ``old`` may move to ``new``. A paused task goes back only to the
    state it left (``paused_from``, given by the resume alone) or fails (cancelled): a
    reply or a timer that tries to move it on while paused is refused here."""
    if old == "paused" and new != "failed":
        return new == paused_from and new in LIVE
    return new in TRANSITIONS.get(old, frozenset())


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotesSpec:
    to: tuple[str, ...]
    request: str
    budget_max: float
    currency: str
    budget_vat: str = "gross"  # "gross": the budget includes VAT; "net": before VAT (bot/tasks/quote.py)
    subject: str = "Request for a quote"
    deadline_hours: float = 7 * 24
    follow_up_hours: float = 3 * 24
    note: str = ""
    channel: str = ""  # a mail connector name; "" = the first configured one


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurringSpec:
    to: tuple[str, ...]
    text: str
    every: str  # "monday 09:00" | "day 09:00"
    subject: str = "Reminder"
    note: str = ""
    channel: str = ""


Spec = QuotesSpec | RecurringSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    id: int
    kind: str
    title: str
    state: str
    spec: Spec
    waiting_on: tuple[str, ...] = ()
    since: float = 0.0
    result: str = ""
    created_by: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    escalation_id: int | None = None
    contacts: tuple[Contact, ...] = field(default_factory=tuple)
    paused_from: str = ""  # the live state a paused task goes back to on resume
    paused_at: float = 0.0  # when the owner paused it (0: not paused)

    def status_line(self, tz: ZoneInfo | None = None) -> str:
        when = _fmt(self.since, tz) if self.since else ""
        if self.state == "paused":
            detail = f"{self.paused_note(tz)}; was {self.paused_from.replace('_', ' ')}"
        elif self.state == "waiting" and self.waiting_on:
            detail = f"waiting on {', '.join(self.waiting_on)} since {when}"
        elif self.state == "waiting" and isinstance(self.spec, RecurringSpec):
            detail = f"standing: every {self.spec.every}"
        elif self.state == "needs_owner":
            detail = f"needs you (question #{self.escalation_id})" if self.escalation_id else "needs you"
        else:
            detail = self.state
        tail = f" - {self.result}" if self.result else ""
        return f"#{self.id} [{self.state}] {self.kind}: {self.title} ({detail}){tail}"

    def paused_note(self, tz: ZoneInfo | None = None) -> str:
        """ "paused since 02 Dec 08:10", as the task lists, the digest and the console say it."""
        return f"paused since {_fmt(self.paused_at, tz)}" if self.state == "paused" else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    task_id: int
    n: int
    address: str
    channel: str
    thread: str  # the conversation key inside the channel (the request's Message-ID)
    status: str  # requested | followed_up | replied | accepted | declined | sent
    offer: float | None = None
    currency: str = ""
    reply_event: str = ""  # the last reply, Event JSON ("" until they answer)
    updated_at: float = 0.0


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    data = asdict(spec)
    data["to"] = list(spec.to)
    return data


def spec_from_dict(kind: str, data: dict[str, Any]) -> Spec:
    data = dict(data)
    data["to"] = tuple(data.get("to", ()))
    if kind == "quotes":
        return QuotesSpec(**data)
    if kind == "recurring":
        return RecurringSpec(**data)
    raise TaskError(f"unknown task kind {kind!r}")


def is_task_text(text: str) -> bool:
    return bool(re.match(r"(?is)^\s*task\s*:", text))


def parse(text: str) -> tuple[str, Spec | None, str]:
    """``task: ...`` text -> (kind, spec, free text). ``kind == "free"`` and ``spec is None``
    for a free-text task; raises TaskError (message for the owner) for a malformed one."""
    lines = text.strip().splitlines()
    first = re.sub(r"(?i)^\s*task\s*:\s*", "", lines[0]).strip() if lines else ""
    kind = first.lower()
    if kind not in KINDS:
        return "free", None, "\n".join([first, *lines[1:]]).strip()
    values: dict[str, str] = {}
    last = ""
    for line in lines[1:]:
        if not line.strip():
            if values:
                break  # a blank line ends the form (a signature may follow)
            continue
        m = re.match(r"^\s*([A-Za-z_ -]+?)\s*:\s*(.*)$", line)
        key = m[1].strip().lower().replace(" ", "_").replace("-", "_") if m else ""
        if m and key in _KEYS[kind]:
            values[key] = m[2].strip()
            last = key
        elif last:
            values[last] += "\n" + line.strip()  # a continuation line
        else:
            known = ", ".join(sorted(_KEYS[kind]))
            raise TaskError(f"cannot read {line.strip()!r}: expected 'field: value' with a field of {known}")
    return kind, build_spec(kind, values), ""


def build_spec(kind: str, values: dict[str, str]) -> Spec:
    missing = sorted(_REQUIRED[kind] - {k for k, v in values.items() if v})
    if missing:
        raise TaskError(f"a {kind} task needs: {', '.join(missing)}")
    to = tuple(a.strip().lower() for a in re.split(r"[,;\s]+", values["to"]) if a.strip())
    bad = [a for a in to if not is_address(a)]
    if bad or not to:
        raise TaskError(f"not an address: {bad[0] if bad else '(none)'}")
    if len(set(to)) != len(to):
        raise TaskError("an address is listed twice")
    if kind == "quotes":
        m = _BUDGET.fullmatch(values["budget"])
        if not m:
            raise TaskError(f"budget must look like '300 EUR' or '300 EUR net', got {values['budget']!r}")
        try:
            deadline = parse_duration_hours(values.get("deadline") or "7d")
            follow_up = parse_duration_hours(values.get("follow_up") or "3d")
        except ValueError as exc:
            raise TaskError(str(exc)) from None
        if follow_up >= deadline:
            raise TaskError("follow_up must come before the deadline")
        return QuotesSpec(
            to=to,
            request=values["request"],
            budget_max=float(m[1].replace(",", ".")),
            currency=m[2].upper(),
            budget_vat="net" if m[3] else "gross",
            subject=values.get("subject") or "Request for a quote",
            deadline_hours=deadline,
            follow_up_hours=follow_up,
            note=values.get("note", ""),
            channel=values.get("channel", ""),
        )
    every = values["every"].strip().lower()
    parse_every(every)
    return RecurringSpec(
        to=to,
        text=values["text"],
        every=every,
        subject=values.get("subject") or "Reminder",
        note=values.get("note", ""),
        channel=values.get("channel", ""),
    )


# "300 EUR", "300 EUR net" / "plus VAT" / "excl. VAT"; "gross" and "incl. VAT" are the default.
_BUDGET = re.compile(
    r"(?i)\s*(\d+(?:[.,]\d{1,2})?)\s*([A-Za-z]{3})\s*"
    r"(?:(net|plus\s+vat|\+\s*vat|excl\.?\s*vat|excluding\s+vat)|gross|incl\.?\s*vat|including\s+vat)?\s*"
)


def to_text(kind: str, fields: dict[str, str]) -> str:
    """The ``task:`` form for given fields (what the CLI sends to the daemon)."""
    lines = [f"task: {kind}"]
    lines += [f"{k}: {v}" for k, v in fields.items() if v]
    return "\n".join(lines)


def parse_every(every: str) -> tuple[int | None, int, int]:
    """'monday 09:00' -> (0, 9, 0); 'day 07:30' / 'daily 07:30' -> (None, 7, 30)."""
    m = re.fullmatch(r"\s*(\w+)\s+(\d{1,2}):(\d{2})\s*", every.lower())
    if not m:
        raise TaskError(f"every must look like 'monday 09:00' or 'day 09:00', got {every!r}")
    day, hour, minute = m[1], int(m[2]), int(m[3])
    if hour > 23 or minute > 59:
        raise TaskError(f"no such time of day: {m[2]}:{m[3]}")
    if day in ("day", "daily"):
        return None, hour, minute
    names = {w: i for i, w in enumerate(WEEKDAYS)} | {w[:3]: i for i, w in enumerate(WEEKDAYS)}
    if day.rstrip("s") not in names:
        raise TaskError(f"unknown day {day!r}")
    return names[day.rstrip("s")], hour, minute


def next_occurrence(every: str, *, after: float, tz: ZoneInfo) -> tuple[str, float]:
    """The first occurrence strictly after ``after``: (period key, due time).

    The period key (the local date) names the occurrence: one timer per key, so an
    occurrence fires once however often the daemon restarts."""
    weekday, hour, minute = parse_every(every)
    local = datetime.fromtimestamp(after, tz)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    for _ in range(15):
        if candidate.timestamp() > after and (weekday is None or candidate.weekday() == weekday):
            return candidate.date().isoformat(), candidate.timestamp()
        candidate = (candidate + timedelta(days=1)).replace(hour=hour, minute=minute)
    raise AssertionError("no occurrence within two weeks")  # pragma: no cover


def title_of(kind: str, spec: Spec) -> str:
    if isinstance(spec, QuotesSpec):
        return f"{spec.subject} from {len(spec.to)} ({spec.budget_max:g} {spec.currency} max)"
    return f"{spec.subject} to {', '.join(spec.to)} every {spec.every}"


def _fmt(at: float, tz: ZoneInfo | None) -> str:
    return datetime.fromtimestamp(at, tz).strftime("%d %b %H:%M")


def form_of(kind: str, spec: Spec) -> str:
    """The structured form of a task, as the owner would write it (shown back to them)."""
    if isinstance(spec, QuotesSpec):
        fields = {
            "to": ", ".join(spec.to),
            "subject": spec.subject,
            "request": spec.request,
            "budget": f"{spec.budget_max:g} {spec.currency}" + (" net" if spec.budget_vat == "net" else ""),
            "deadline": f"{spec.deadline_hours:g}h",
            "follow_up": f"{spec.follow_up_hours:g}h",
            "note": spec.note,
        }
    else:
        fields = {"to": ", ".join(spec.to), "subject": spec.subject, "text": spec.text, "every": spec.every}
        fields["note"] = spec.note
    return to_text(kind, fields)


def read_standing_tasks(path: Path) -> list[tuple[str, RecurringSpec]]:
    """``rules/tasks.toml``: ``[[task]]`` tables with a unique ``name``, read the same way
    by ``deputy check`` and the daemon. Errors name the file and the task."""
    import tomllib

    from bot.errors import ConfigError

    if not path.is_file():
        return []
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("task", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    found: list[tuple[str, RecurringSpec]] = []
    for i, raw in enumerate(entries):
        entry = dict(raw)
        name, kind = str(entry.pop("name", "")), str(entry.pop("kind", "recurring"))
        if not name or kind != "recurring":
            raise ConfigError(f"{path}: task {i + 1}: needs a name and kind = 'recurring'")
        to = entry.get("to", [])
        entry["to"] = ", ".join(to) if isinstance(to, list) else str(to)
        try:
            spec = build_spec(kind, {k: str(v) for k, v in entry.items()})
        except TaskError as exc:
            raise ConfigError(f"{path}: task {name!r}: {exc}") from None
        assert isinstance(spec, RecurringSpec)
        found.append((name, spec))
    return found
