"""Messages of the cases domain: the health officers' alert of a home-quarantine breach."""

from __future__ import annotations

from epitrace.alerts.templates import Template
from epitrace.errors import N_

TEMPLATES = [
    Template(
        key="quarantine_breach",
        kind="quarantine_breach",
        title=N_("Home quarantine breach"),
        body=N_(
            "%(name)s, under home quarantine in %(ward)s, checked in at %(venue)s at %(at)s. "
            "Contact them and record the follow-up."
        ),
        sms=N_("%(brand)s: a person under home quarantine checked in outside: %(url)s"),
        link="/quarantine",
        params=("name", "ward", "venue", "at"),
        urgent=True,
        sensitive=True,
        priority=1,
    ),
]
