"""The browser tests' study set-up on the e2e harness, and how Chromium is started."""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.conftest import Deployment, Mailbox

ROOT = Path(__file__).resolve().parents[2]
STUDY_FILE = ROOT / "surveys" / "crime-prevention-strategy.yaml"
PANEL_SIZE = 7
GROUPS = ("member-state", "ngo", "academia", "private-sector", "institute")
FACILITATOR_EMAIL = "facilitator@example.org"
FACILITATOR_PASSWORD = "browser facilitator passphrase"

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
# A 360 px wide phone. Without touch emulation: with it chromedriver takes ~100 ms more
# per click, and the pages have no touch-specific behaviour to test.
PHONE = {"width": 360, "height": 800, "pixelRatio": 2.0, "touch": False}
DESKTOP = "--window-size=1280,900"
PAGE_LOAD_TIMEOUT = 20


@dataclass
class OpenRound:
    """A study with a round open, and each panelist's link from the latest email."""

    deployment: Deployment
    mailbox: Mailbox
    key: str
    emails: list[str]
    links: dict[str, str] = field(default_factory=dict)  # email -> link

    def deliver(self) -> None:
        """Run the outbox worker once and take each panelist's link from the email received."""
        start = len(self.mailbox.messages)
        sent = self.deployment.cli("mail", "send", "--once")
        assert f"sent {len(self.emails)}, failed 0" in sent
        pattern = re.compile(re.escape(self.deployment.base_url) + r"/r/[A-Za-z0-9_\-]+")
        self.links = {}
        for recipients, message in self.mailbox.since(start):
            body = message.get_body(preferencelist=("plain",)).get_content()
            [link] = set(pattern.findall(body))
            [recipient] = recipients
            self.links[recipient] = link
        assert sorted(self.links) == sorted(self.emails)


@dataclass
class Site:
    """The app served on a fresh database, with a facilitator account."""

    deployment: Deployment
    mailbox: Mailbox
    workdir: Path
    numbers: Iterator[int] = field(default_factory=itertools.count)

    def open_study(
        self,
        change: Callable[[dict[str, Any]], None] | None = None,
        languages: tuple[str, ...] = ("en",),
        panel_size: int = PANEL_SIZE,
    ) -> OpenRound:
        """Import the study under a new key and a panel of ``panel_size`` (reading
        ``languages`` in turn), launch round 1, send the mail; ``change`` edits the study
        file's data first."""
        n = next(self.numbers)
        key = f"browser-study-{n}"
        study = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
        study["key"] = key
        if change is not None:
            change(study)
        study_file = self.workdir / f"{key}.yaml"
        study_file.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")

        emails = [f"panelist{p}.study{n}@example.org" for p in range(panel_size)]
        panel_file = self.workdir / f"{key}-panel.csv"
        with panel_file.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["email", "name", "stakeholder_group", "language"])
            for p, email in enumerate(emails):
                language = languages[p % len(languages)]
                writer.writerow([email, f"Panelist {p}", GROUPS[p % len(GROUPS)], language])

        self.deployment.cli("survey", "import", str(study_file), "--owner", FACILITATOR_EMAIL)
        self.deployment.cli("panel", "import", key, str(panel_file))
        self.deployment.cli("round", "launch", key)
        opened = OpenRound(self.deployment, self.mailbox, key, emails)
        opened.deliver()
        return opened


def start_chromium(
    profile: Path,
    *,
    phone: bool,
    javascript: bool,
    offline: bool = False,
    time_zone: str | None = None,
    language: str | None = None,
) -> WebDriver:
    """Headless Debian Chromium with a fresh profile, through the system chromedriver.

    ``offline`` resolves no host name but the loopback address, as on a network without
    internet, and logs every request the pages make (read them with :func:`requested`);
    ``time_zone`` is the zone the browser reports to pages; ``language`` the one it asks
    pages in (``Accept-Language``).
    """
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    else:
        options.add_argument(DESKTOP)
    prefs: dict[str, object] = {}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    if language:
        prefs["intl.accept_languages"] = language
        options.add_argument(f"--lang={language}")
    if prefs:
        options.add_experimental_option("prefs", prefs)
    if offline:
        options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    env = {**os.environ, "TZ": time_zone} if time_zone else None
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), env=env), options=options)
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
    return driver


def requested(driver: WebDriver) -> list[str]:
    """Every URL the browser has requested since the last call (needs ``offline``)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
