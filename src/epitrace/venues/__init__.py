"""Venue registry, signed venue QR codes and printable posters."""
