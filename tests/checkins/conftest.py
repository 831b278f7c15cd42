"""Fixtures of the check-in tests: the venue tests' keyring and operator fixtures."""

from tests.venues.conftest import keyring, operator

__all__ = ["keyring", "operator"]
