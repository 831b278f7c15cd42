"""The domain packages, in dependency order; the app, CLI and migrations discover them here.

A domain may provide `models`, `api` (with `router`), `pages` (with `router`), `cli` (with
`register(app)`) and `tasks`. Missing modules are simply skipped.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS = (
    "places",
    "security",
    "accounts",
    "web",
    "alerts",
    "venues",
    "checkins",
    "declarations",
    "feedback",
    "cases",
    "tracing",
    "escrow",
    "ondevice",
    "exposure",
    "people",
    "rollout",
    "mydata",
)


def domain_modules(name: str) -> list[ModuleType]:
    """Import `epitrace.<domain>.<name>` for every domain that has it."""
    found = []
    for domain in DOMAINS:
        module_name = f"epitrace.{domain}.{name}"
        try:
            found.append(importlib.import_module(module_name))
        except ModuleNotFoundError as exc:
            if exc.name not in (module_name, f"epitrace.{domain}"):
                raise
    return found


def import_models() -> None:
    """Import every domain's models so that `Base.metadata` knows all tables."""
    domain_modules("models")
