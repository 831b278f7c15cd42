"""Benchmarks and the synthetic population generator; run with `python -m bench.<name>`."""
