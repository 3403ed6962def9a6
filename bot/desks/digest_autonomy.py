"""The digest's autonomy sections: what shadow rules would have done, and each rule's
record with the owner's drafts (the ledger that earns a rule its autonomy)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.store import AuditEntry, Store


async def autonomy_sections(
    store: Store, entries: Sequence[AuditEntry], tz: ZoneInfo
) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    shadow = [
        f"{datetime.fromtimestamp(e.at, tz).strftime('%d %b %H:%M')} {e.sender or e.channel}: "
        f"{e.subject or '(no subject)'} [rule {e.rule}] {line}"
        for e in entries
        if e.outcome == "shadow"
        for line in e.reasons
        if line.startswith("would have")
    ]
    if shadow:
        sections.append(("Rules in shadow mode: what they would have done (nothing was)", shadow))
    ledger = await store.rule_ledger.all()
    if ledger:
        lines = []
        for name, record in ledger.items():
            level = f" (now {record.level})" if record.level else ""
            proposal = f"; ready for auto: deputy rules level {name} auto" if record.proposed else ""
            lines.append(f"{name}{level}: {record.summary()}{proposal}")
        sections.append(("Drafts: each rule's record with you", lines))
    return sections
