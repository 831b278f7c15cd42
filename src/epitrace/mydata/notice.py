"""The privacy notice in force: its version; the text is in `templates/mydata/notice.html`.

A new text gets a new version: every citizen is then asked again on "My data".
"""

from __future__ import annotations

PRIVACY_NOTICE_VERSION = "2026-11"
