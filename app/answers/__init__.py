"""Answer sets: how a panelist's ratings and reasons are stored and read back."""
