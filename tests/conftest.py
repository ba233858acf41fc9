"""Shared test set-up: settings for tests, before anything imports the app."""

from __future__ import annotations

import os

os.environ.setdefault("DELPHI_ENV", "test")
os.environ.setdefault("DELPHI_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("DELPHI_BASE_URL", "http://testserver")
os.environ.setdefault("DELPHI_LOG_LEVEL", "WARNING")
