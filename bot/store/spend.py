"""Model spend per day, per department and endpoint: what the daily caps count."""

from __future__ import annotations

from bot.store.db import Database, defer


class Spend:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, *, day: str, department: str, endpoint: str, cost: float, calls: int, tokens: int
    ) -> None:
        async with self.db.transaction() as tx:
            await defer(
                tx,
                "INSERT INTO model_spend (day, department, endpoint, cost, calls, tokens) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(day, department, endpoint) DO UPDATE SET "
                "cost=cost+excluded.cost, calls=calls+excluded.calls, tokens=tokens+excluded.tokens",
                (day, department, endpoint, cost, calls, tokens),
            )

    async def of_department(self, day: str, department: str) -> float:
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(cost), 0) FROM model_spend WHERE day=? AND department=?", (day, department)
        )
        return float(row[0]) if row else 0.0

    async def of_endpoint(self, day: str, endpoint: str) -> float:
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(cost), 0) FROM model_spend WHERE day=? AND endpoint=?", (day, endpoint)
        )
        return float(row[0]) if row else 0.0

    async def day(self, day: str) -> list[tuple[str, str, float, int]]:
        """(department, endpoint, cost, calls) for one day."""
        rows = await self.db.fetchall(
            "SELECT department, endpoint, cost, calls FROM model_spend WHERE day=? "
            "ORDER BY department, endpoint",
            (day,),
        )
        return [(r[0], r[1], float(r[2]), int(r[3])) for r in rows]
