"""Drafts: what a ``draft``-level rule prepared, held for the owner's Send, Edit or
Discard. A draft's id is the id of the escalation that previews it, so every channel's
answer (button, reply, ``deputy send``) finds it the same way."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from bot.store.db import Database, Tx


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    id: int
    rule: str
    event_id: str
    recipients: tuple[str, ...]
    text: str
    state: str
    final_text: str
    changed: float
    via: str
    created_at: float


def _from_row(row: sqlite3.Row) -> Draft:
    return Draft(
        id=int(row["id"]),
        rule=str(row["rule"]),
        event_id=str(row["event_id"]),
        recipients=tuple(r for r in str(row["recipients"]).split(",") if r),
        text=str(row["text"]),
        state=str(row["state"]),
        final_text=str(row["final_text"]),
        changed=float(row["changed"]),
        via=str(row["via"]),
        created_at=float(row["created_at"]),
    )


class Drafts:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def create_in(
        tx: Tx, *, draft_id: int, rule: str, event_id: str, recipients: tuple[str, ...], text: str
    ) -> None:
        await tx.execute(
            "INSERT OR IGNORE INTO drafts (id, rule, event_id, recipients, text, created_at)"
            " VALUES (?,?,?,?,?,?)",
            (draft_id, rule, event_id, ",".join(recipients), text, time.time()),
        )

    @staticmethod
    async def get_in(tx: Tx, draft_id: int) -> Draft | None:
        cur = await tx.execute("SELECT * FROM drafts WHERE id=?", (draft_id,))
        row = await cur.fetchone()
        return _from_row(row) if row else None

    @staticmethod
    async def close_in(
        tx: Tx, draft_id: int, *, state: str, final_text: str = "", changed: float = 0.0, via: str = ""
    ) -> bool:
        """True only for the first close of an open draft."""
        cur = await tx.execute(
            "UPDATE drafts SET state=?, final_text=?, changed=?, via=?, closed_at=?"
            " WHERE id=? AND state='open'",
            (state, final_text, changed, via, time.time(), draft_id),
        )
        return cur.rowcount == 1

    async def get(self, draft_id: int) -> Draft | None:
        row = await self.db.fetchone("SELECT * FROM drafts WHERE id=?", (draft_id,))
        return _from_row(row) if row else None

    async def open(self) -> list[Draft]:
        rows = await self.db.fetchall("SELECT * FROM drafts WHERE state='open' ORDER BY id")
        return [_from_row(r) for r in rows]

    async def examples(self, *, rule: str = "", limit: int = 100) -> list[Draft]:
        """The owner's edits, newest first (of one rule, or of all): how they want it said."""
        where = "state IN ('edited', 'sent_by_owner') AND changed > 0 AND example = 1"
        params: tuple[object, ...] = (limit,)
        if rule:
            where += " AND rule = ?"
            params = (rule, limit)
        rows = await self.db.fetchall(f"SELECT * FROM drafts WHERE {where} ORDER BY id DESC LIMIT ?", params)
        return [_from_row(r) for r in rows]

    async def forget_example(self, draft_id: int) -> bool:
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE drafts SET example=0 WHERE id=? AND example=1", (draft_id,))
            return cur.rowcount == 1

    async def recent(self, *, since: float) -> list[Draft]:
        rows = await self.db.fetchall(
            "SELECT * FROM drafts WHERE created_at>=? OR closed_at>=? ORDER BY id", (since, since)
        )
        return [_from_row(r) for r in rows]
