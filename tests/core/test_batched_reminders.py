"""Several open questions are reminded together in one message, each answerable by '#N'."""

from __future__ import annotations

from pathlib import Path

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail


async def test_reminders_are_batched_and_answerable_by_number(tmp_path: Path) -> None:
    cfg = make_home(tmp_path, extra_config="[escalation]\nreminders_hours = [1.0]\n")
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
    await deputy.start()
    try:
        for n in range(3):
            await deputy.emit(mail(sender=f"x{n}@new.com", subject=f"Question {n}"))
        await deputy.drain()
        async with deputy.store.db.transaction() as tx:
            await tx.execute("UPDATE timers SET due_at=0 WHERE kind='escalation_reminder'")
        await deputy.scheduler.tick()
        await deputy.drain()
        reminders = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE key LIKE '%:remind'")
        assert len(reminders) == 1
        text = reminders[0][0]
        assert all(f"#{i}" in text for i in (1, 2, 3)) and "3 questions wait" in text
    finally:
        await deputy.stop()
