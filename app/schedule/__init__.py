"""Scheduled work: rounds that close at their deadline, reminders before it, the worker."""
