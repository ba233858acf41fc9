"""The final study report: its data (service), its charts (charts) and its PDF (pdf)."""
