"""Administrative units: a hierarchy of any depth.

Province → ward today; province → district → ward before 2025.
"""
