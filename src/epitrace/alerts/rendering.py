"""Rendering outbox rows for sending: built-in templates, or a domain's own renderer.

Most rows carry a registered template and its parameters (`alerts.templates.render`). Texts
written by officials (campaigns) live once in their own table, not on each of a million rows;
their domain registers a `BatchRenderer` for its template key, which renders a whole batch of
claimed rows with one read of that table. Workers call `render_rows` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from epitrace.alerts import templates
from epitrace.alerts.models import OutboxMessage
from epitrace.alerts.templates import Rendered

BatchRenderer = Callable[[Session, Sequence[OutboxMessage], str, str], dict[int, Rendered]]
"""(session, rows, base_url, brand) → rendered text by row id, in each row's locale."""

_RENDERERS: dict[str, BatchRenderer] = {}


def register_renderer(template_key: str, renderer: BatchRenderer) -> None:
    _RENDERERS[template_key] = renderer


def has_renderer(template_key: str) -> bool:
    return template_key in _RENDERERS


def render_rows(
    session: Session, rows: Sequence[OutboxMessage], *, base_url: str, brand: str
) -> dict[int, Rendered]:
    """Rendered text for each row (by row id), in the recipient's language."""
    out: dict[int, Rendered] = {}
    by_template: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        by_template.setdefault(row.template, []).append(row)
    for key, group in by_template.items():
        renderer = _RENDERERS.get(key)
        if renderer is not None:
            out.update(renderer(session, group, base_url, brand))
            continue
        template = templates.get(key)
        for row in group:
            out[row.id] = templates.render(
                template, row.params, locale_code=row.locale, base_url=base_url, brand=brand
            )
    return out
