"""Passwords, sessions and tokens, permission checks, signing keys, rate limits, audit log."""
