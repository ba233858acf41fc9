"""The team of a study: accounts, their per-study roles, passwords, and the audit page."""
