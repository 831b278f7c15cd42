"""Bluetooth exposure notification, compatible with the Exposure Notification (GAEN) format."""
