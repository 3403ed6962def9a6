"""Step 5, drafts (an empty slot): what passed the gate, prepared to be shown or sent.
Nothing changes yet."""

from __future__ import annotations

from bot.judgment.gate import Checked


def drafts(checked: Checked) -> Checked:
    return checked
