"""Real-browser tests: headless Chromium against the end-to-end harness's real server.

The server process, database, SMTP server and CLI runner come from
``tests/e2e/conftest.py``. Every CLI run costs a second or two, so one server serves the
whole browser suite and each study gets its own key: a test that closes rounds has a study
of its own, and the questionnaire tests share one, each with its own panelist.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from selenium.webdriver.remote.webdriver import WebDriver

from tests.app.conftest import scratch_database
from tests.browser.harness import (
    CHROMEDRIVER,
    CHROMIUM,
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    OpenRound,
    Site,
    start_chromium,
)
from tests.e2e.conftest import Deployment, Mailbox, free_port


@pytest.fixture(scope="session")
def chromium() -> None:
    """Chromium and its driver from Debian; skipped without them, except in CI."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        reason = (
            f"the browser tests need {' and '.join(missing)} "
            "(on Debian: apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def site(chromium: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The e2e harness (server, database, SMTP), once for the browser suite."""
    workdir = tmp_path_factory.mktemp("browser")
    with ExitStack() as stack:
        url = stack.enter_context(contextmanager(scratch_database)(tmp_path_factory, "browser"))
        smtp = Mailbox(free_port())
        controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port, ready_timeout=10)
        controller.start()
        stack.callback(controller.stop)
        deployed = Deployment(url, smtp.port, workdir)
        stack.callback(deployed.stop)
        deployed.cli("db", "upgrade")
        deployed.cli(
            "facilitator",
            "create",
            FACILITATOR_EMAIL,
            "--name",
            "Browser",
            "--password",
            FACILITATOR_PASSWORD,
        )
        deployed.serve()
        yield Site(deployed, smtp, workdir)


@pytest.fixture(scope="module")
def shared_round(site: Site) -> OpenRound:
    """A study with round 1 open, shared by a module's tests that only answer it."""
    return site.open_study()


@pytest.fixture
def panelist_link(shared_round: OpenRound) -> str:
    """The emailed link of a panelist no other test has used."""
    email = min(shared_round.links)
    return shared_round.links.pop(email)


@pytest.fixture
def fresh_round(site: Site) -> OpenRound:
    """A study of the test's own with round 1 open, for a test that closes rounds."""
    return site.open_study()


@pytest.fixture
def browser(chromium: None, tmp_path: Path) -> Iterator[Callable[..., WebDriver]]:
    """Start headless Chromium: ``browser(phone=True)`` is 360 px wide,
    ``browser(javascript=False)`` runs no scripts, ``browser(language="ar")`` asks for
    Arabic pages. Every browser quits after the test."""
    drivers: list[WebDriver] = []

    def start(
        *, phone: bool = False, javascript: bool = True, language: str | None = None
    ) -> WebDriver:
        profile = tmp_path / f"chromium-{len(drivers)}"
        drivers.append(
            start_chromium(profile, phone=phone, javascript=javascript, language=language)
        )
        return drivers[-1]

    try:
        yield start
    finally:
        for driver in drivers:
            driver.quit()
