"""The per-folder UID cursor, kept in the runtime's durable state store.

The cursor is the highest UID whose Event the inbox has committed. It is written
only after ``emit`` returns, so a crash re-fetches at most the message in flight
and the inbox dedupes it by event id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.connector import StateStore


@dataclass(frozen=True, slots=True)
class Cursor:
    uidvalidity: int
    last_uid: int


class CursorStore:
    def __init__(self, state: StateStore) -> None:
        self._state = state

    @staticmethod
    def _key(folder: str) -> str:
        return f"imap_cursor:{folder}"

    async def get(self, folder: str) -> Cursor | None:
        raw = await self._state.get(self._key(folder))
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return Cursor(int(data["uidvalidity"]), int(data["last_uid"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def set(self, folder: str, cursor: Cursor) -> None:
        value = {"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid}
        await self._state.set(self._key(folder), json.dumps(value))
