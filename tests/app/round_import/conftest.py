"""The console's fixtures, for the upload tests."""

from tests.app.console.conftest import facilitator, make_panel, signed_in  # noqa: F401
