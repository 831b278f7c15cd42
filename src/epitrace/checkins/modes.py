"""The privacy mode as check-in sees it: in 'on-device' mode the server stores no presence.

Every route that would write a presence (or a scan receipt, a manual visitor, a door exit)
asks `refuse_presences` first; the door still checks passes, and counts them anonymously.
"""

from __future__ import annotations

from epitrace.config import Settings
from epitrace.errors import N_, Conflict

ON_DEVICE = "on-device"


class PresencesKeptOnPhones(Conflict):
    code = "on_device_mode"


KEPT_ON_PHONES = N_(
    "Check-ins are kept on each phone here (on-device privacy mode): the server does not "
    "store visits. Scan the venue code with the app; your phone keeps the visit."
)
NO_DOOR_LOG = N_(
    "Visitors are not recorded here (on-device privacy mode): no names, no entries or exits. "
    "Scan passes to check them; each valid pass is counted without a name."
)


def on_device(settings: Settings) -> bool:
    return settings.privacy_mode == ON_DEVICE


def refuse_presences(settings: Settings) -> None:
    """Refuse a citizen's check-in, check-out or upload in on-device mode."""
    if on_device(settings):
        raise PresencesKeptOnPhones(KEPT_ON_PHONES)


def refuse_door_records(settings: Settings) -> None:
    """Refuse a manual entry or a recorded exit at the door in on-device mode."""
    if on_device(settings):
        raise PresencesKeptOnPhones(NO_DOOR_LOG)
