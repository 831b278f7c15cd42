"""Presence records: self-scan, door-scan, manual entry, offline sync and check-out."""
