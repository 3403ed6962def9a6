"""Tasks and the conversations opened for them (migration 3; a task's pause, migration 11).

Writes take the caller's transaction (``*_in``) so that a task's state changes commit
together with the outbox rows and the inbox event that caused them.
"""

from __future__ import annotations

import json
import sqlite3
import time

from bot.store.db import Database, Tx
from bot.store.escalations import Escalations
from bot.store.timers import Timers
from bot.tasks.model import Contact, Spec, Task, can_move, spec_from_dict, spec_to_dict


def _task(row: sqlite3.Row, contacts: tuple[Contact, ...] = ()) -> Task:
    return Task(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        state=row["state"],
        spec=spec_from_dict(row["kind"], json.loads(row["spec"])),
        waiting_on=tuple(json.loads(row["waiting_on"])),
        since=row["since"],
        result=row["result"],
        escalation_id=row["escalation_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        contacts=contacts,
        paused_from=row["paused_from"],
        paused_at=row["paused_at"],
    )


def timer_scope(task_id: int, escalation_id: int | None) -> dict[str, tuple[str, ...]]:
    """The timers that act for a task: its own (follow-ups, deadline, occurrences) and,
    while it asks the owner, its question's deadline and reminders."""
    prefixes: tuple[str, ...] = (f"task:{task_id}:",)
    keys: tuple[str, ...] = ()
    if escalation_id is not None:
        prefixes += (f"esc-deadline:{escalation_id}:", f"esc-remind:{escalation_id}:")
        keys = (f"esc-deadline:{escalation_id}",)
    return {"prefixes": prefixes, "keys": keys}


def _contact(row: sqlite3.Row) -> Contact:
    return Contact(
        task_id=row["task_id"],
        n=row["n"],
        address=row["address"],
        channel=row["channel"],
        thread=row["thread"],
        status=row["status"],
        offer=row["offer"],
        currency=row["currency"],
        reply_event=row["reply_event"],
        updated_at=row["updated_at"],
    )


def by_thread_on(
    conn: sqlite3.Connection, channel: str, threads: tuple[str, ...], *, running: bool = False
) -> Contact | None:
    """The task conversation among ``threads``, in the caller's order (the event's own
    thread first); ``running``: only while its task is not done or failed."""
    if not threads:
        return None
    marks = ",".join("?" * len(threads))
    sql = f"SELECT c.* FROM task_contacts c WHERE c.channel=? AND c.thread IN ({marks})"
    if running:
        sql = (
            f"SELECT c.* FROM task_contacts c JOIN tasks t ON t.id = c.task_id"
            f" WHERE c.channel=? AND c.thread IN ({marks}) AND t.state NOT IN ('done', 'failed')"
        )
    rows = conn.execute(sql, (channel, *threads)).fetchall()
    found = {row["thread"]: row for row in rows}
    first = next((found[t] for t in threads if t in found), None)
    return _contact(first) if first is not None else None


class Tasks:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- reads (outside or inside the caller's transaction) --------------------------
    async def get(self, task_id: int) -> Task | None:
        row = await self.db.fetchone("SELECT * FROM tasks WHERE id=?", (task_id,))
        if row is None:
            return None
        contacts = await self.db.fetchall(
            "SELECT * FROM task_contacts WHERE task_id=? ORDER BY n", (task_id,)
        )
        return _task(row, tuple(_contact(c) for c in contacts))

    async def all(self, *, states: tuple[str, ...] = ()) -> list[Task]:
        sql = "SELECT id FROM tasks"
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
        rows = await self.db.fetchall(sql + " ORDER BY id", states)
        return [t for r in rows if (t := await self.get(r["id"])) is not None]

    async def by_thread(self, channel: str, *threads: str) -> Contact | None:
        """The task conversation among ``threads`` (the event's own thread first, then
        what it replies to), in one round trip."""
        wanted = tuple(dict.fromkeys(t for t in threads if t))[:500]  # (SQLite's variable limit)
        return await self.db.read(by_thread_on, channel, wanted)

    async def by_escalation(self, escalation_id: int) -> Task | None:
        row = await self.db.fetchone("SELECT id FROM tasks WHERE escalation_id=?", (escalation_id,))
        return await self.get(row["id"]) if row else None

    # ----- writes in the caller's transaction --------------------------------------------
    @staticmethod
    async def create_in(
        tx: Tx, *, key: str, kind: str, title: str, spec: Spec, created_by: str
    ) -> tuple[int, bool]:
        """(task id, created): a second create with the same key returns the first task."""
        now = time.time()
        cur = await tx.execute(
            "INSERT OR IGNORE INTO tasks (key, kind, title, spec, since, created_by, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (key, kind, title, json.dumps(spec_to_dict(spec), sort_keys=True), now, created_by, now, now),
        )
        created = cur.rowcount == 1
        cur = await tx.execute("SELECT id FROM tasks WHERE key=?", (key,))
        row = await cur.fetchone()
        assert row is not None
        return int(row[0]), created

    @staticmethod
    async def move_in(
        tx: Tx,
        task_id: int,
        state: str,
        *,
        waiting_on: tuple[str, ...] | None = None,
        result: str | None = None,
        escalation_id: int | None = None,
    ) -> bool:
        cur = await tx.execute("SELECT state, waiting_on FROM tasks WHERE id=?", (task_id,))
        row = await cur.fetchone()
        if row is None or not can_move(row[0], state):  # a pause is left by resume_in only
            return False
        now = time.time()
        same = row[0] == state and (waiting_on is None or json.loads(row[1]) == list(waiting_on))
        await tx.execute(
            "UPDATE tasks SET state=?, waiting_on=COALESCE(?, waiting_on), result=COALESCE(?, result),"
            " escalation_id=COALESCE(?, escalation_id), since=CASE WHEN ? THEN since ELSE ? END,"
            " updated_at=? WHERE id=?",
            (
                state,
                None if waiting_on is None else json.dumps(list(waiting_on)),
                result,
                escalation_id,
                int(same),
                now,
                now,
                task_id,
            ),
        )
        return True

    @staticmethod
    async def pause_in(tx: Tx, task_id: int) -> int:
        """Pause a live task and hold its timers: the number of timers held, or -1 when
        the task is not live (finished, paused already, or unknown). ``since`` is kept,
        so that "waiting on X since" still tells when the waiting began."""
        cur = await tx.execute("SELECT state, escalation_id FROM tasks WHERE id=?", (task_id,))
        row = await cur.fetchone()
        if row is None or not can_move(row[0], "paused"):
            return -1
        now = time.time()
        await tx.execute(
            "UPDATE tasks SET state='paused', paused_from=?, paused_at=?, pauses=pauses+1, updated_at=?"
            " WHERE id=?",
            (row[0], now, now, task_id),
        )
        esc = row[1] if row[0] == "needs_owner" else None
        return await Timers.hold_in(tx, **timer_scope(task_id, esc))

    @staticmethod
    async def resume_in(tx: Tx, task_id: int) -> tuple[str, float, int] | None:
        """Back to the state the pause left: (that state, seconds spent paused, the pause's
        number), or None when the task is not paused. The held timers are the caller's to
        release (how each kind comes back is the task's rule, bot/tasks/pauses.py)."""
        cur = await tx.execute(
            "SELECT state, paused_from, paused_at, pauses FROM tasks WHERE id=?", (task_id,)
        )
        row = await cur.fetchone()
        if row is None or row[0] != "paused" or not can_move(row[0], row[1], paused_from=row[1]):
            return None
        now = time.time()
        await tx.execute(
            "UPDATE tasks SET state=?, paused_from='', paused_at=0, updated_at=? WHERE id=?",
            (row[1], now, task_id),
        )
        return str(row[1]), max(0.0, now - float(row[2])), int(row[3])

    async def cancel(self, task_id: int, *, by: str) -> bool:
        async with self.db.transaction() as tx:
            return await self.cancel_in(tx, task_id, by=by)

    @staticmethod
    async def cancel_in(tx: Tx, task_id: int, *, by: str) -> bool:
        """The owner called the task off (live or paused): it fails with that reason, its
        timers (follow-ups, deadline, its question's) are cancelled and its open question
        closed, in the caller's transaction."""
        cur = await tx.execute("SELECT escalation_id FROM tasks WHERE id=?", (task_id,))
        row = await cur.fetchone()
        if row is None or not await Tasks.move_in(
            tx, task_id, "failed", result=f"cancelled by the owner ({by})"
        ):
            return False
        # Its question's deadline and reminders go with it (held ones too, if paused).
        esc = int(row[0]) if row[0] is not None else None
        await Timers.cancel_scope_in(tx, **timer_scope(task_id, esc))
        if esc is not None:
            await Escalations.close_in(tx, esc, state="cancelled", answer="task cancelled", via=by)
        return True

    @staticmethod
    async def set_result_in(tx: Tx, task_id: int, result: str) -> None:
        await tx.execute("UPDATE tasks SET result=?, updated_at=? WHERE id=?", (result, time.time(), task_id))

    @staticmethod
    async def add_contact_in(
        tx: Tx,
        *,
        task_id: int,
        n: int,
        address: str,
        channel: str,
        thread: str,
        status: str,
    ) -> None:
        await tx.execute(
            "INSERT OR IGNORE INTO task_contacts (task_id, n, address, channel, thread, status, updated_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (task_id, n, address, channel, thread, status, time.time()),
        )

    @staticmethod
    async def update_contact_in(
        tx: Tx,
        task_id: int,
        n: int,
        *,
        status: str,
        offer: float | None = None,
        currency: str | None = None,
        reply_event: str | None = None,
    ) -> None:
        await tx.execute(
            "UPDATE task_contacts SET status=?, offer=COALESCE(?, offer), currency=COALESCE(?, currency),"
            " reply_event=COALESCE(?, reply_event), updated_at=? WHERE task_id=? AND n=?",
            (status, offer, currency, reply_event, time.time(), task_id, n),
        )
