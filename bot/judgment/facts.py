"""Step 2, facts (an empty slot): the typed facts of the message (money, payment details,
due dates, the counterpart's offer), extracted before the decision. Nothing yet."""

from __future__ import annotations

from dataclasses import dataclass

from bot.judgment.context import Context


@dataclass(frozen=True, slots=True)
class Facts:
    pass


def facts_of(ctx: Context) -> Facts:
    return Facts()
