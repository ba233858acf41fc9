"""No page of the app reaches another host: a browser that can resolve nothing but the
loopback address renders every page type, the API documentation included, and asks
nothing of any other host. Deadlines also show in the browser's own time zone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.harness import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    OpenRound,
    Site,
    requested,
    start_chromium,
)
from tests.browser.pages import heading, main_text, press

pytestmark = pytest.mark.browser
RENDER_TIMEOUT = 30
# These load nothing over the network: inline images, blob workers, and the browser's own
# pages (its new-tab page, before the first navigation).
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted"}


@pytest.fixture
def offline(chromium: None, tmp_path: Path) -> Iterator[WebDriver]:
    """Chromium on a network with no other host, in Tokyo's time zone."""
    driver = start_chromium(
        tmp_path / "offline", phone=False, javascript=True, offline=True, time_zone="Asia/Tokyo"
    )
    try:
        yield driver
    finally:
        driver.quit()


def foreign(urls: list[str], base: str) -> list[str]:
    """The requests that went, or tried to go, anywhere but this server."""
    own = urlsplit(base).netloc
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != own
    ]


def visit(driver: WebDriver, url: str) -> None:
    """Open ``url`` and wait for it to load; the request log then holds this page's only."""
    requested(driver)
    driver.get(url)
    WebDriverWait(driver, RENDER_TIMEOUT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


class TestApiDocs:
    def test_swagger_ui_renders_the_operations_with_other_hosts_unreachable(
        self, site: Site, offline: WebDriver
    ) -> None:
        base = site.deployment.base_url
        visit(offline, f"{base}/docs")
        operations = WebDriverWait(offline, RENDER_TIMEOUT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        )
        paths = {element.text.strip() for element in operations}
        assert "/api/v1/studies" in paths
        assert foreign(requested(offline), base) == []

    def test_redoc_renders_the_operations_with_other_hosts_unreachable(
        self, site: Site, offline: WebDriver
    ) -> None:
        base = site.deployment.base_url
        visit(offline, f"{base}/redoc")
        WebDriverWait(offline, RENDER_TIMEOUT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "[data-section-id^='operation/']")
        )
        assert "/api/v1/studies" in offline.find_element(By.TAG_NAME, "body").text
        assert foreign(requested(offline), base) == []


class TestEveryPageType:
    def test_no_page_requests_another_host(
        self, site: Site, fresh_round: OpenRound, offline: WebDriver
    ) -> None:
        base = site.deployment.base_url
        key = fresh_round.key
        study = f"{base}/console/studies/{key}"
        site.deployment.cli("round", "extend", key, "2099-03-01T17:00Z")
        seen: list[tuple[str, list[str]]] = []

        def page(url: str) -> None:
            visit(offline, url)
            seen.append((url, foreign(requested(offline), base)))

        page(f"{base}/")
        page(f"{base}/no-such-page")
        page(f"{base}/r/not-a-real-link")
        page(f"{base}/console/login")
        offline.find_element(By.ID, "email").send_keys(FACILITATOR_EMAIL)
        offline.find_element(By.ID, "password").send_keys(FACILITATOR_PASSWORD)
        press(offline, "Sign in")
        assert heading(offline) == "Studies"
        for path in (
            "",
            "/import-study",
            f"/studies/{key}",
            f"/studies/{key}/panel",
            f"/studies/{key}/mail",
            f"/studies/{key}/rounds/1",
            f"/studies/{key}/rounds/1/close",
            f"/studies/{key}/finish",
        ):
            page(f"{base}/console{path}")
        visit(offline, f"{study}/panel")
        panelist = offline.find_element(By.CSS_SELECTOR, "[data-panelist] a").get_attribute("href")
        assert panelist is not None
        page(panelist)

        # The panelist's questionnaire, its deadline in UTC and in the browser's own zone.
        page(fresh_round.links[fresh_round.emails[0]])
        deadline = offline.find_element(By.CSS_SELECTOR, ".deadline").text
        assert "1 March 2099, 5:00" in deadline
        assert "UTC" in deadline
        assert "your time: 2 March 2099" in deadline  # 02:00 in Tokyo
        assert "GMT+9" in deadline

        # A closed round: the report, and the panelist's closed page.
        site.deployment.cli("round", "close", key)
        page(f"{base}/round")
        assert heading(offline) == "This round has closed"
        page(f"{study}/rounds/1")
        assert "Round 1 report" in main_text(offline)

        assert [(url, hosts) for url, hosts in seen if hosts] == []
        assert len(seen) == 16
