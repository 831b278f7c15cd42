"""Escrow privacy mode: check-in identities sealed to the health department's key of the day."""
