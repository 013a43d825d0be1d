"""What reliability tests watch: every error the Application reports, and every database row."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.base import Base
from bot.handlers.common import ClotApplication, ClotContext

APOLOGY = "something went wrong"

Rows = dict[str, list[tuple[Any, ...]]]


@dataclass(eq=False)
class ErrorRecorder:
    """An extra error handler: the app's own still runs; this one keeps what it saw for assertions."""

    errors: list[str] = field(default_factory=list)

    async def __call__(self, update: object, context: ClotContext) -> None:
        """Record the exception with its traceback."""
        error = context.error
        if error is not None:
            self.errors.append("".join(traceback.format_exception(error)))

    def install(self, app: ClotApplication) -> ErrorRecorder:
        """Add this recorder to ``app``'s error handlers; return it."""
        app.add_error_handler(self)
        return self

    def assert_none(self, what: object = "") -> None:
        """Fail with the first traceback if any handler raised."""
        assert not self.errors, f"{len(self.errors)} unhandled error(s) for {what!r}:\n{self.errors[0]}"


def _refers_to_user(table_name: str) -> bool:
    table = Base.metadata.tables[table_name]
    return "user_id" in table.c


async def snapshot(engine: AsyncEngine, *, user_id: int | None = None) -> Rows:
    """Return every row of every model table (only ``user_id``'s rows where tables have that column)."""
    rows: Rows = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = select(table)
            if user_id is not None and _refers_to_user(table.name):
                query = query.where(table.c.user_id == user_id)
            result = await conn.execute(query.order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(r) for r in result]
    return rows


def user_tables() -> list[str]:
    """Return the name of every table that refers to a user (a user_id column or a FK to users)."""
    names = []
    for table in Base.metadata.sorted_tables:
        refers = "user_id" in table.c or any(fk.column.table.name == "users" for fk in table.foreign_keys)
        if refers:
            names.append(table.name)
    return names
