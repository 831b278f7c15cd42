"""Where to send a browser next: only paths of this site, never another site.

Every `next` parameter (after sign-in, language switch, form posts) goes through `safe_next`.
Browsers read `//host`, `/\\host` and `/<tab>/host` as another site, and a scheme or an
authority in any form leaves it: all of those fall back to the default.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

MAX_NEXT_LENGTH = 300


def is_local_path(target: str) -> bool:
    """True for a same-site relative path ("/me?x=1"), False for anything that could leave."""
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return False
    if target.startswith("//") or "\\" in target:
        return False
    # control characters and spaces: browsers drop tabs and newlines ("/\t/evil.example")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path of this site, else `default`."""
    return target if target is not None and is_local_path(target) else default


def sign_in_url(page: str, target: str) -> str:
    """The sign-in page `page` ("/signin" or "/login") that comes back to `target`."""
    if not is_local_path(target):
        return page
    return f"{page}?next={quote(target, safe='/')}"
