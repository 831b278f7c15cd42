"""One person record per human: matching new registrations to known people, search, merging."""
