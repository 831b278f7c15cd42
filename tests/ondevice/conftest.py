"""Fixtures of the on-device tests: an app in the on-device privacy mode, venues, operators."""

from __future__ import annotations

import pytest

from epitrace.config import Settings
from tests.venues.conftest import keyring, operator

__all__ = ["keyring", "operator"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings, with check-ins kept on the phones."""
    return settings.model_copy(update={"privacy_mode": "on-device"})
