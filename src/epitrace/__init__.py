"""epitrace: the digital toolkit a health administration runs against an epidemic."""

__version__ = "0.1.0"
