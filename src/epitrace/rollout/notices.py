"""Message templates of rollout oversight: the reminder to a unit that has not reported, and
the notice and reminder of an ad-hoc request."""

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
    Template(
        key="adhoc_request",
        kind="reminder",
        title=N_("Ad-hoc request: %(title)s"),
        body=N_(
            "%(unit)s is asked to answer the ad-hoc request %(title)s by %(due)s. "
            "Please open it and answer."
        ),
        link="%(link)s",
        params=("title", "unit", "due", "link"),
    ),
    Template(
        key="adhoc_reminder",
        kind="reminder",
        title=N_("Reminder: ad-hoc request %(title)s"),
        body=N_(
            "%(unit)s has not yet answered the ad-hoc request %(title)s (due %(due)s). "
            "Please answer it."
        ),
        link="%(link)s",
        params=("title", "unit", "due", "link"),
    ),
]
