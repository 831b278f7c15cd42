"""Fixtures of the people tests: the venue tests' keyring and operator fixtures."""

from tests.venues.conftest import keyring, operator

__all__ = ["keyring", "operator"]
