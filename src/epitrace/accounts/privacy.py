"""The privacy notice in force: its version; its text is `templates/accounts/privacy_notice.html`.

A new text gets a new version: every citizen is then asked again on "My data". Citizens who
sign up on the sign-in page accept it there (it is shown above the code field).
"""

from __future__ import annotations

PRIVACY_NOTICE_VERSION = "2026-11"
