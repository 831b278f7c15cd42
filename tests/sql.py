"""Counting what a piece of code sends to the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def statements_sent(bind: Any) -> Iterator[list[str]]:
    """The SQL statements `bind` (an engine or a session's bind) sends inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", record)


@contextmanager
def selects_built() -> Iterator[list[str]]:
    """The SELECT statements built (not sent) inside the block, each as the line of code that
    built it: the hot paths build theirs once and only bind values per call."""
    import traceback

    from sqlalchemy.sql.selectable import Select

    built: list[str] = []
    original = Select.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        caller = next(
            (f for f in reversed(traceback.extract_stack()[:-1]) if "/epitrace/" in f.filename),
            None,
        )
        built.append(f"{caller.filename}:{caller.lineno}" if caller else "?")
        original(self, *args, **kwargs)

    Select.__init__ = counting  # type: ignore[method-assign]
    try:
        yield built
    finally:
        Select.__init__ = original  # type: ignore[method-assign]
