"""Message templates of the security domain: unusual access flagged to the administrators."""

from __future__ import annotations

from epitrace.alerts.templates import Template
from epitrace.errors import N_

TEMPLATES = [
    Template(
        key="access_flag_many_people",
        kind="access_flag",
        title=N_("Unusual access: %(account)s"),
        body=N_(
            "The account %(account)s read %(people)s named people between %(start)s and "
            "%(end)s, more than the limit of one window. Please review the flag and note what "
            "you found."
        ),
        link="/admin/access",
        params=("account", "people", "start", "end"),
    ),
    Template(
        key="access_flag_outside_area",
        kind="access_flag",
        title=N_("Unusual access: %(account)s"),
        body=N_(
            "The account %(account)s read %(people)s named people outside the units it usually "
            "works in between %(start)s and %(end)s. Please review the flag and note what you "
            "found."
        ),
        link="/admin/access",
        params=("account", "people", "start", "end"),
    ),
]
