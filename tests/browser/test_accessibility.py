"""Every page type checked by axe-core in Chromium (WCAG 2.2 A and AA rules: no
violation), in every language of the study; a whole round by keyboard alone; no sideways
scrolling at 360 px nor at 200% zoom on a 1280 px window.

axe-core is npm's package, fetched by ``make`` (``DELPHI_AXE_JS`` names the file); the
tests are skipped without it, except in CI.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    PHONE,
    STUDY_FILE,
    OpenRound,
    Site,
)
from tests.browser.pages import (
    QuestionnairePage,
    assert_fits_width,
    focused,
    heading,
    horizontal_extent,
    key,
    navigate,
    press,
    press_value,
    ratings_plan,
    status_message,
    sticking_out,
)
from tests.browser.test_rounds import answer_round_1

pytestmark = pytest.mark.browser

LANGUAGES = tuple(yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))["languages"])
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
  .then((r) => done(r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + n.failureSummary),
  }))))
  .catch((e) => done([{id: 'axe-error', help: String(e), nodes: []}]));
"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = Path(os.environ.get("DELPHI_AXE_JS", ".venv/axe-core-4.11.4/axe.min.js"))
    if not path.is_file():
        reason = f"axe-core not found at {path} (make fetches it: make test)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def study(site: Site) -> OpenRound:
    """A study whose panelists read each of its languages in turn: one per language for
    the axe checks, and one more each for the keyboard and the reflow tests."""
    return site.open_study(languages=LANGUAGES, panel_size=len(LANGUAGES) + 2)


def axe(driver: WebDriver, source: str) -> list[dict]:
    """The WCAG 2.2 A/AA violations axe-core finds on the current page."""
    driver.set_script_timeout(60)
    driver.execute_script(source)
    return driver.execute_async_script(AXE_RUN, WCAG)


def check(driver: WebDriver, source: str, seen: list[tuple[str, list[dict]]]) -> None:
    seen.append((driver.current_url + " " + driver.title, axe(driver, source)))


def assert_clean(seen: list[tuple[str, list[dict]]]) -> None:
    failing = [(page, v) for page, v in seen if v]
    assert not failing, "\n".join(f"{page}: {v}" for page, v in failing)


def link_of(study: OpenRound, language: str) -> str:
    index = LANGUAGES.index(language)
    email = study.emails[index]
    return study.links[email]


class TestAxeOnEveryPanelistPage:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_every_page_of_a_round(
        self, browser: Callable[..., WebDriver], study: OpenRound, axe_source: str, language: str
    ) -> None:
        driver = browser(phone=True)
        page = QuestionnairePage(driver)
        seen: list[tuple[str, list[dict]]] = []
        base = study.deployment.base_url
        page.open_link(link_of(study, language))
        assert driver.find_element(By.TAG_NAME, "html").get_dom_attribute("lang") == language
        # Each topic page, the summary with answers missing, a refused submit and the topic
        # page that shows its problems.
        for number in range(1, page.topics() + 1):
            page.topic(number)
            check(driver, axe_source, seen)
            assert_fits_width(driver, PHONE["width"])
        driver.get(f"{base}/round/summary")
        check(driver, axe_source, seen)
        press_value(driver, "submit")
        check(driver, axe_source, seen)
        driver.get(f"{base}/round?topic=1&check=1")
        check(driver, axe_source, seen)
        # Everything answered and submitted: the page on what happens next.
        page.topic(1)
        while True:
            page.choose_by_script(ratings_plan(page.radio_groups(), 0))
            if not driver.find_elements(By.CSS_SELECTOR, "button[value=next]"):
                press_value(driver, "review")
                break
            press_value(driver, "next")
        press_value(driver, "submit")
        assert "/round/submitted" in driver.current_url
        check(driver, axe_source, seen)
        assert_fits_width(driver, PHONE["width"])
        assert_clean(seen)

    def test_error_pages(
        self, browser: Callable[..., WebDriver], study: OpenRound, axe_source: str
    ) -> None:
        driver = browser(phone=True)
        base = study.deployment.base_url
        seen: list[tuple[str, list[dict]]] = []
        driver.get(f"{base}/r/not-a-link-at-all")  # the link-not-valid page, 404
        check(driver, axe_source, seen)
        driver.get(f"{base}/no-such-page")
        check(driver, axe_source, seen)
        assert_clean(seen)


class TestAxeOnTheConsole:
    # English and one right-to-left language, the console's two layouts.
    @pytest.mark.parametrize("language", ["en", "ar"])
    def test_every_console_page(
        self,
        browser: Callable[..., WebDriver],
        study: OpenRound,
        axe_source: str,
        language: str,
    ) -> None:
        driver = browser(language=language)
        base = study.deployment.base_url
        console = f"{base}/console/studies/{study.key}"
        seen: list[tuple[str, list[dict]]] = []
        driver.get(f"{base}/console/login")
        check(driver, axe_source, seen)
        driver.find_element(By.ID, "email").send_keys(FACILITATOR_EMAIL)
        driver.find_element(By.ID, "password").send_keys(FACILITATOR_PASSWORD)
        sign_in = driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
        navigate(driver, sign_in.click)
        panel_html = statements_html = ""
        for path in (
            f"{base}/console",
            f"{base}/console/import-study",
            console,
            f"{console}/panel",
            f"{console}/rounds/1",
            f"{console}/rounds/1/close",
            f"{console}/finish",
            f"{console}/proposals",
            f"{console}/statements",
            f"{console}/mail",
            f"{console}/live",
        ):
            driver.get(path)
            check(driver, axe_source, seen)
            if path.endswith("/panel"):
                panel_html = driver.page_source
            if path.endswith("/statements"):
                statements_html = driver.page_source
        for listing, pattern in (
            (panel_html, r'href="([^"]*/panel/\d+)"'),
            (statements_html, r'href="([^"]*/statements/\d+)"'),
        ):
            found = re.search(pattern, listing)
            assert found, pattern
            driver.get(base + found[1] if found[1].startswith("/") else found[1])
            check(driver, axe_source, seen)
        assert_clean(seen)

    def test_team_keys_plan_and_password_pages_in_arabic(
        self, browser: Callable[..., WebDriver], study: OpenRound, axe_source: str
    ) -> None:
        driver = browser(language="ar")
        base = study.deployment.base_url
        console = f"{base}/console/studies/{study.key}"
        seen: list[tuple[str, list[dict]]] = []
        driver.get(f"{base}/console/forgot")
        check(driver, axe_source, seen)
        driver.get(f"{base}/console/password")  # no link held: the link-not-valid page
        check(driver, axe_source, seen)
        driver.get(f"{base}/console/login")
        driver.find_element(By.ID, "email").send_keys(FACILITATOR_EMAIL)
        driver.find_element(By.ID, "password").send_keys(FACILITATOR_PASSWORD)
        press(driver, "تسجيل الدخول")
        for path in (
            f"{console}/team",
            f"{console}/keys",
            f"{console}/audit",
            f"{console}/plan",
            f"{base}/console/account/password",
        ):
            driver.get(path)
            assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
            check(driver, axe_source, seen)
        assert_clean(seen)


class TestAxeOnTheRoundReport:
    def test_a_closed_round_with_its_charts(
        self, browser: Callable[..., WebDriver], fresh_round: OpenRound, axe_source: str
    ) -> None:
        driver = browser()
        answer_round_1(driver, fresh_round)
        base = fresh_round.deployment.base_url
        driver.get(f"{base}/console/login")
        driver.find_element(By.ID, "email").send_keys(FACILITATOR_EMAIL)
        driver.find_element(By.ID, "password").send_keys(FACILITATOR_PASSWORD)
        press(driver, "Sign in")
        driver.get(f"{base}/console/studies/{fresh_round.key}/rounds/1/close")
        press(driver, "Close round 1")
        assert heading(driver) == "Round 1 report"
        charts = driver.find_element(By.ID, "round-charts")
        assert charts.find_elements(By.CSS_SELECTOR, "figure svg.chart")
        # the tables of the charts are checked open, as a screen-reader user reads them
        driver.execute_script(
            "document.querySelectorAll('#round-charts details').forEach(d => d.open = true)"
        )
        seen: list[tuple[str, list[dict]]] = []
        check(driver, axe_source, seen)
        assert_clean(seen)


class TestKeyboardOnly:
    def test_a_whole_round_by_keyboard(
        self, browser: Callable[..., WebDriver], study: OpenRound
    ) -> None:
        """Tab to each question, Space to choose, Enter on the buttons: no mouse at all.

        The keys go to whatever has the focus and the focus is read afresh after each one,
        so no element of a page is held across the page loads that Enter causes."""
        driver = browser()
        page = QuestionnairePage(driver)
        email = study.emails[len(LANGUAGES)]  # a panelist no other test uses
        page.open_link(study.links[email])
        for number in range(1, page.topics() + 1):
            assert driver.current_url.endswith("/round" if number == 1 else f"topic={number}")
            groups = page.radio_groups()
            for _step in range(40 * len(groups) + 40):
                now = focused(driver)
                if now.type == "radio" and now.name not in page.chosen():
                    key(driver, Keys.SPACE)
                elif (
                    now.tag == "button"
                    and now.value in ("next", "review")
                    and set(page.chosen()) == set(groups)
                ):
                    navigate(driver, partial(key, driver, Keys.ENTER))
                    break
                key(driver, Keys.TAB)
            else:
                pytest.fail(f"the keyboard did not get through {driver.current_url}")
        assert urlsplit(driver.current_url).path == "/round/summary"
        assert heading(driver)
        for _step in range(200):
            now = focused(driver)
            if now.tag == "button" and now.value == "submit":
                navigate(driver, partial(key, driver, Keys.ENTER))
                break
            key(driver, Keys.TAB)
        else:
            pytest.fail("the keyboard did not reach Submit")
        assert urlsplit(driver.current_url).path == "/round/submitted"
        assert "your answers are submitted" in status_message(driver)


class TestReflow:
    def test_no_sideways_scrolling_at_200_percent_zoom_on_1280px(
        self, browser: Callable[..., WebDriver], study: OpenRound
    ) -> None:
        driver = browser()
        page = QuestionnairePage(driver)
        page.open_link(study.links[study.emails[len(LANGUAGES) + 1]])
        base = study.deployment.base_url
        # Zoomed to 200%, a 1280 px window lays pages out 640 CSS px wide, at twice the
        # pixels per CSS pixel: that is what this emulates.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 640, "height": 450, "deviceScaleFactor": 2, "mobile": False},
        )
        for url in (f"{base}/round", f"{base}/round?topic=2", f"{base}/round/summary"):
            driver.get(url)
            scroll_width, inner_width = horizontal_extent(driver)
            assert inner_width == 640
            assert scroll_width <= inner_width, f"{url}: {sticking_out(driver)}"
