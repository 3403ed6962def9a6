"""``deputy departments``: the organisation as declared, and each department's state
today (model spend against its budget, hand-offs in and out, questions waiting) and the
hand-offs it sent with a deadline that wait for their result: open, and overdue."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.config import Settings
from bot.departments import deadlines
from bot.departments.build import rules_folder
from bot.departments.handoff import CHANNEL
from bot.departments.models import today
from bot.departments.organisation import Organisation
from bot.errors import ConfigError, NoDatabase
from bot.rules import load_rulebook
from bot.store import Store

NOT_DESKS = "(departments are agents of the organisation; bot/desks/ are Deputy's internal handler groups)"


async def report(settings: Settings) -> int:
    if not settings.departments:
        print("No departments are declared: Deputy works as one implicit department.")
        print("Declare [departments.<name>] in config.toml to build an organisation (README: Departments).")
        return 0
    org = Organisation.of(settings)
    state = await _state(settings, org)
    watches = await _deadlines(settings)
    print(f"Departments {NOT_DESKS}")
    for name, dept in org.departments.items():
        front = " (front)" if name == org.home else ""
        print(f"\n{name}{front}: supervisor {dept.supervisor}; asks {' -> '.join(org.chain_to_owner(name))}")
        if dept.description:
            print(f"  {dept.description}")
        folder = rules_folder(settings, name)
        try:
            count = f"{len(load_rulebook(folder).rules)} rules"
        except ConfigError as exc:  # a broken rule: `deputy check` names it
            count = f"does not load: {str(exc).splitlines()[0]}"
        print(f"  rules: {folder} ({count})")
        chats = ", ".join(dept.chats) or "(none)"
        print(f"  addresses: {', '.join(dept.addresses) or '(none)'}; chats: {chats}")
        models = ", ".join(f"{stage}={model}" for stage, model in dept.models.items()) or "none (rules only)"
        print(f"  models: {models}")
        spent, handed_in, handed_out, waiting = state.get(name, (0.0, 0, 0, 0))
        budget = f" of {dept.daily_budget:g}" if dept.daily_budget is not None else ""
        cap = (
            " (at the cap: rules only)"
            if dept.daily_budget is not None and spent >= dept.daily_budget
            else ""
        )
        print(
            f"  today: spent {spent:.4f}{budget}{cap}; "
            f"hand-offs and results in {handed_in}, out {handed_out}; "
            f"questions to the owner waiting {waiting}"
        )
        for line in watches.get(name, ()):
            print(f"  {line}")
    return 0


async def _deadlines(settings: Settings) -> dict[str, list[str]]:
    """Per sending department: its hand-offs with a deadline and no result yet."""
    if not settings.db_path.exists():
        return {}
    store = Store(settings.db_path, create=False)
    try:
        await store.open()
    except NoDatabase:
        await store.close()
        return {}
    try:
        out: dict[str, list[str]] = {}
        for timer, state in await store.timers.of_kind(deadlines.KIND, states=("pending", "fired")):
            when = datetime.fromtimestamp(timer.due_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
            what = "overdue since" if state == "fired" else "open, deadline"
            line = f"hand-off {what} {when}: {deadlines.describe(timer.payload)}"
            out.setdefault(timer.payload.get("department", ""), []).append(line)
        return out
    finally:
        await store.close()


async def _state(settings: Settings, org: Organisation) -> dict[str, tuple[float, int, int, int]]:
    if not settings.db_path.exists():
        return {}
    store = Store(settings.db_path, create=False)
    try:
        await store.open()
    except NoDatabase:
        await store.close()
        return {}
    try:
        day = today()
        midnight = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
        spent: dict[str, float] = {}
        for department, _endpoint, cost, _calls in await store.spend.day(day):
            spent[department] = spent.get(department, 0.0) + cost
        handed_in: dict[str, int] = {}
        handed_out: dict[str, int] = {}
        for _state_name, event in await store.inbox.of_channel(CHANNEL, since=min(midnight, time.time())):
            target = event.refs.get("department", "")
            handed_in[target] = handed_in.get(target, 0) + 1
            source = event.sender_name
            handed_out[source] = handed_out.get(source, 0) + 1
        waiting: dict[str, int] = {}
        for esc in await store.escalations.open():
            owner_of = org.department_of(esc.event)
            waiting[owner_of] = waiting.get(owner_of, 0) + 1
        return {
            name: (
                spent.get(name, 0.0),
                handed_in.get(name, 0),
                handed_out.get(name, 0),
                waiting.get(name, 0),
            )
            for name in org.departments
        }
    finally:
        await store.close()
