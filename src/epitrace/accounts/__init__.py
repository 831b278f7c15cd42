"""People, dependents, phone sign-up, staff accounts, roles and their areas."""
