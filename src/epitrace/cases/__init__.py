"""Confirmed cases (F0), laboratory tests, quarantine orders, daily follow-up and breaches."""
