"""Rollout oversight: accountable organisations and their rosters, community teams, indicators,
periodic and ad-hoc reports up the hierarchy, the province dashboard and the formal report."""
