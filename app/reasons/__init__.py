"""Reasons between rounds: reading, bands, moderation, feedback selection, summaries, argument
strength."""
