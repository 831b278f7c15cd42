"""Figures a domain adds to the staff home page: a count of the caller's area, linking to its list.

Each domain's `figures.py` has `FIGURES`; a figure is shown when the role allows its action and
is counted over the areas in which the caller may do that action (never more than the list shows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from epitrace.security.roles import Action


@dataclass(frozen=True)
class FigureValue:
    count: int
    note: str = ""  # already translated, e.g. the age of the oldest item
    attention: bool = False  # something waits for the caller's action


@dataclass(frozen=True)
class StaffFigure:
    action: Action
    href: str
    label: str  # msgid, translated when shown
    value: Callable[[Session, Sequence[str | None], datetime], FigureValue]
