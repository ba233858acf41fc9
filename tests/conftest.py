"""Shared test set-up: settings for tests, before anything imports the app."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# These machines are shared and noisy: a property test checks what holds, not how fast
# one example runs (Hypothesis's 200 ms deadline failed a test under load).
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")

os.environ.setdefault("DELPHI_ENV", "test")
os.environ.setdefault("DELPHI_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("DELPHI_BASE_URL", "http://testserver")
os.environ.setdefault("DELPHI_LOG_LEVEL", "WARNING")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the load and fault tests measured (counts per status, timings)."""
    from tests.reliability.figures import FIGURES

    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
