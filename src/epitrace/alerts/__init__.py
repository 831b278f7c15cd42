"""Alerts: the outbox and its channels, the inbox, reminders, contact alerts and campaigns."""
