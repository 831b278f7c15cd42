"""Citizen feedback (phản ánh) about the epidemic, answered by the ward's officials."""
