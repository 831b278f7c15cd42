"""The built-in message templates (other domains may add theirs in their own `notices.py`).

Texts are English msgids translated per recipient; SMS texts stay short (one or two
segments once diacritics are removed) and never name a case.
"""

from __future__ import annotations

from epitrace.alerts.templates import Template
from epitrace.errors import N_

TEMPLATES = [
    Template(
        key="notice",
        kind="notice",
        title=N_("%(title)s"),
        body=N_("%(body)s"),
        link="%(link)s",
        params=("title", "body", "link"),
    ),
    Template(
        key="test",
        kind="test",
        title=N_("Test message"),
        body=N_("This is a test message from %(brand)s. No action is needed."),
        urgent=True,
        priority=1,
    ),
    Template(
        key="otp",
        kind="otp",
        title=N_("Sign-in code"),
        body=N_(
            "Your %(brand)s code is %(code)s, valid for %(minutes)s minutes. "
            "Do not share this code with anyone."
        ),
        params=("code", "minutes"),
        urgent=True,
        ignore_opt_out=True,
        sensitive=True,
        priority=0,
    ),
    Template(
        key="contact_alert_f1",
        kind="contact_alert",
        title=N_("You may have been exposed (F1)"),
        body=N_(
            "The health service found that you were in close contact with a confirmed case "
            "around %(day)s%(where)s. Stay at home and away from others for %(days)s days, "
            "get tested as the health station tells you, and declare your health now."
        ),
        sms=N_(
            "%(brand)s: you were in close contact with a COVID-19 case around %(day)s%(where)s. "
            "Isolate at home for %(days)s days, get tested, declare now: %(url)s"
        ),
        link="/declare",
        params=("day", "where", "days"),
        urgent=True,
        priority=1,
    ),
    Template(
        key="contact_alert_f2",
        kind="contact_alert",
        title=N_("You may have been exposed (F2)"),
        body=N_(
            "The health service found that you were in contact with a close contact of a "
            "confirmed case around %(day)s%(where)s. Limit contact with others for %(days)s "
            "days, watch for symptoms and declare your health now."
        ),
        sms=N_(
            "%(brand)s: you were near a contact of a COVID-19 case around %(day)s%(where)s. "
            "Limit contacts for %(days)s days, watch for symptoms, declare: %(url)s"
        ),
        link="/declare",
        params=("day", "where", "days"),
        urgent=True,
        priority=1,
    ),
    Template(
        key="venue_alert",
        kind="venue_alert",
        title=N_("A place you visited had COVID-19 cases"),
        body=N_(
            "You checked in at %(venue)s between %(start)s and %(end)s, when people with "
            "COVID-19 were there. Watch for symptoms for 14 days and declare your health; "
            "if you feel unwell, call the health station."
        ),
        sms=N_(
            "%(brand)s: you were at %(venue)s between %(start)s and %(end)s, when COVID-19 "
            "cases were there. Watch for symptoms, declare: %(url)s"
        ),
        link="/declare",
        params=("venue", "start", "end"),
        urgent=True,
        priority=2,
    ),
    Template(
        key="quarantine_ordered",
        kind="quarantine",
        title=N_("Quarantine order"),
        body=N_(
            "The health service placed you under home quarantine from %(start)s until "
            "%(end)s. Report your health every day on your quarantine page."
        ),
        sms=N_(
            "%(brand)s: you are under home quarantine from %(start)s to %(end)s. "
            "Report your health daily: %(url)s"
        ),
        link="/me/quarantine",
        params=("start", "end"),
        urgent=True,
        priority=1,
    ),
    Template(
        key="quarantine_ordered_facility",
        kind="quarantine",
        title=N_("Quarantine order"),
        body=N_(
            "The health service ordered you to quarantine at %(facility)s from %(start)s "
            "until %(end)s. Report your health every day on your quarantine page."
        ),
        sms=N_(
            "%(brand)s: you are to quarantine at %(facility)s from %(start)s to %(end)s. "
            "Report your health daily: %(url)s"
        ),
        link="/me/quarantine",
        params=("facility", "start", "end"),
        urgent=True,
        priority=1,
    ),
    Template(
        key="symptom_reminder",
        kind="reminder",
        title=N_("Daily health report"),
        body=N_("You have not reported your health today. It takes one minute."),
        sms=N_("%(brand)s: please report your health for today: %(url)s"),
        link="/me/quarantine",
        priority=3,
    ),
    Template(
        key="declaration_reminder",
        kind="reminder",
        title=N_("Your health declaration has expired"),
        body=N_(
            "The last health declaration for %(name)s was on %(last)s and is no longer "
            "valid. Declare again so that the pass stays valid."
        ),
        sms=N_("%(brand)s: the health declaration of %(name)s has expired. Declare: %(url)s"),
        link="/declare",
        params=("name", "last"),
        priority=6,
    ),
    Template(
        key="feedback_answered",
        kind="feedback",
        title=N_("Your report has an answer"),
        body=N_("%(unit)s answered your report of %(day)s: %(answer)s"),
        sms=N_("%(brand)s: %(unit)s answered your report. Read it: %(url)s"),
        link="/feedback",
        params=("unit", "day", "answer"),
        priority=5,
    ),
    # Campaign texts are written by officials and kept once in their campaign; the campaign
    # renderer (alerts.campaigns) renders these rows. This entry gives them a kind for the
    # dashboard and a plain text where no renderer is loaded.
    Template(
        key="campaign",
        kind="campaign",
        title=N_("Announcement"),
        body=N_("An announcement from %(brand)s."),
        priority=8,
    ),
]
