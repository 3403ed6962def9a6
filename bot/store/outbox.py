"""The outbox: every side effect, keyed for idempotency, delivered after commit.

A row moves pending -> sending -> sent (or failed). ``sending`` is written *before*
the connector is called, so a crash mid-send leaves evidence: on restart such rows are
marked ``in_doubt`` and the connector checks before sending again (DESIGN.md, 5).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import aiosqlite

from bot.delivery import Delivery
from bot.store.db import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    key: str
    event_id: str
    connector: str
    op: str
    payload: dict[str, object]
    thread: str = ""
    recipient: str = ""
    autonomous: bool = True
    escalation_id: int | None = None
    not_before: float = 0.0  # hold delivery until then (the owner's quiet hours)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_in(tx: aiosqlite.Connection, row: OutboxRow) -> bool:
        cur = await tx.execute(
            "INSERT OR IGNORE INTO outbox (key, event_id, connector, op, payload, thread,"
            " recipient, autonomous, escalation_id, created_at, next_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                row.key,
                row.event_id,
                row.connector,
                row.op,
                json.dumps(row.payload, ensure_ascii=False, sort_keys=True),
                row.thread,
                row.recipient.lower(),
                int(row.autonomous),
                row.escalation_id,
                time.time(),
                row.not_before,
            ),
        )
        return cur.rowcount == 1

    async def recover(self) -> int:
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE outbox SET state='pending', in_doubt=1 WHERE state='sending'")
            return cur.rowcount

    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[tuple[Delivery, str, int | None]]:
        """Due rows, oldest first, one per thread so a thread's messages keep their order."""
        now = time.time()
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "SELECT key, connector, op, payload, attempts, in_doubt, thread, escalation_id,"
                " next_at FROM outbox WHERE state='pending' ORDER BY seq LIMIT 500"
            )
            rows = await cur.fetchall()
            seen: set[str] = set()
            picked = []
            for row in rows:
                thread = row["thread"] or row["key"]
                if thread in seen:
                    continue
                seen.add(thread)
                if thread in busy_threads or row["next_at"] > now:
                    continue
                delivery = Delivery(
                    key=row["key"],
                    connector=row["connector"],
                    op=row["op"],
                    payload=json.loads(row["payload"]),
                    attempts=row["attempts"] + 1,
                    in_doubt=bool(row["in_doubt"]),
                )
                picked.append((delivery, thread, row["escalation_id"]))
                if len(picked) >= limit:
                    break
            if picked:
                marks = ",".join("?" * len(picked))
                await tx.execute(
                    f"UPDATE outbox SET state='sending', attempts=attempts+1 WHERE key IN ({marks})",
                    [d.key for d, _, _ in picked],
                )
            return picked

    async def mark_sent(self, key: str, receipt: dict[str, str], *, tx: aiosqlite.Connection) -> None:
        await tx.execute(
            "UPDATE outbox SET state='sent', sent_at=?, receipt=?, last_error='' WHERE key=?",
            (time.time(), json.dumps(receipt, sort_keys=True), key),
        )

    async def mark_retry(self, key: str, *, error: str, delay: float) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET state='pending', last_error=?, next_at=? WHERE key=?",
                (error[:2000], time.time() + delay, key),
            )

    async def mark_failed(self, key: str, *, error: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET state='failed', last_error=? WHERE key=?", (error[:2000], key)
            )

    async def autonomous_replies(self, thread: str, *, since: float) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM outbox WHERE thread=? AND autonomous=1 AND op='send'"
            " AND escalation_id IS NULL AND created_at>=?",
            (thread, since),
        )
        return int(row[0]) if row else 0

    async def sends_to(self, recipient: str, *, since: float) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM outbox WHERE recipient=? AND autonomous=1 AND op='send' AND created_at>=?",
            (recipient.lower(), since),
        )
        return int(row[0]) if row else 0

    async def sent_texts(self, thread: str, *, limit: int = 10) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT payload FROM outbox WHERE thread=? AND op='send' ORDER BY seq DESC LIMIT ?",
            (thread, limit),
        )
        return [str(json.loads(r["payload"]).get("text", "")) for r in reversed(rows)]

    async def has_pending(self) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM outbox WHERE state IN ('pending','sending') LIMIT 1")
        return row is not None

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}
