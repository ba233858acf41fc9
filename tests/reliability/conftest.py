"""The database, application and client fixtures of tests/app, for these tests too."""

from __future__ import annotations

from tests.app.conftest import (  # noqa: F401
    app,
    client,
    database_url,
    db,
    db_engine,
    live_database,
    survey,
)
from tests.app.console.conftest import facilitator, post_form, signed_in  # noqa: F401
from tests.app.participation.conftest import panel, round1  # noqa: F401
