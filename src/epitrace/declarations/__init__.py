"""Electronic health declarations, status colour and the signed personal QR pass."""
