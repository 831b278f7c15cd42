"""Message templates of rollout oversight: the reminder to a unit that has not reported."""

from __future__ import annotations

from epitrace.alerts.templates import Template
from epitrace.errors import N_

TEMPLATES = [
    Template(
        key="report_reminder",
        kind="reminder",
        title=N_("Reminder: report %(form)s"),
        body=N_(
            "The report %(form)s of %(unit)s for the period %(period)s has not been submitted "
            "(due %(due)s). Please complete and submit it."
        ),
        link="%(link)s",
        params=("form", "unit", "period", "due", "link"),
    ),
]
