"""Arabic, right to left, in a real browser: the questionnaire with last round's feedback
on a phone, and the console. The screenshots are kept in ``tests/artifacts/`` (ignored by
git, kept by CI) for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.browser.harness import FACILITATOR_EMAIL, FACILITATOR_PASSWORD, PHONE, OpenRound
from tests.browser.pages import QuestionnairePage, assert_fits_width, navigate, press
from tests.browser.test_rounds import answer_round_1, close_and_relaunch

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")  # noqa: T201 (where to find it, in the test's output)
    return path


def left_edges(driver: WebDriver, root: WebElement, selector: str) -> dict[str, float]:
    """The on-screen left edge of each element matching ``selector`` in ``root``, by the
    element's first text (a label's visually hidden anchor left out)."""
    return driver.execute_script(
        "const out = {};"
        "for (const e of arguments[0].querySelectorAll(arguments[1]))"
        "  out[e.firstChild.textContent.trim()] = e.getBoundingClientRect().left;"
        "return out;",
        root,
        selector,
    )


class TestArabic:
    def test_the_questionnaire_and_its_feedback_read_right_to_left(
        self, browser, fresh_round: OpenRound
    ):
        answer_round_1(browser(), fresh_round)
        close_and_relaunch(browser(), fresh_round)
        fresh_round.deliver()

        driver = browser(phone=True)
        page = QuestionnairePage(driver)
        page.open_link(fresh_round.links[fresh_round.emails[0]])
        press(driver, "العربية")  # the language switcher
        html = driver.find_element(By.TAG_NAME, "html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        assert "الجولة 2" in driver.title

        first = page.statements()[0]
        # The scale runs from the right, 1 to 9, its numbers written as numbers.
        scale = first.find_element(By.CSS_SELECTOR, ".scale")
        labels = left_edges(driver, scale, ".scale__label")
        assert list(labels)[:9] == [str(n) for n in range(1, 10)]
        assert labels["1"] > labels["5"] > labels["9"]
        # The chart is drawn the same way round: its tick 1 on the right, reading "1".
        ticks = left_edges(driver, first.find_element(By.CSS_SELECTOR, "svg"), ".chart__tick")
        assert ticks["1"] > ticks["9"]
        assert scale.is_displayed()

        driver.execute_script("window.scrollTo(0, 0)")
        screenshot(driver, "ar-questionnaire-360px.png")
        chart = first.find_element(By.CSS_SELECTOR, "figure.chart")
        driver.execute_script("arguments[0].scrollIntoView()", chart)
        screenshot(driver, "ar-feedback-360px.png")
        assert_fits_width(driver, PHONE["width"])

    def test_the_console_reads_right_to_left(self, browser, shared_round: OpenRound):
        driver = browser(language="ar")
        base = shared_round.deployment.base_url
        driver.get(f"{base}/console/login")
        html = driver.find_element(By.TAG_NAME, "html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        driver.find_element(By.ID, "email").send_keys(FACILITATOR_EMAIL)
        driver.find_element(By.ID, "password").send_keys(FACILITATOR_PASSWORD)
        sign_in = driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
        navigate(driver, sign_in.click)
        driver.get(f"{base}/console/studies/{shared_round.key}")
        html = driver.find_element(By.TAG_NAME, "html")
        assert html.get_attribute("dir") == "rtl"
        screenshot(driver, "ar-console-study.png")
        driver.get(f"{base}/console/studies/{shared_round.key}/rounds/1")
        html = driver.find_element(By.TAG_NAME, "html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        assert "الجولة 1" in driver.find_element(By.TAG_NAME, "h1").text
        # The back link's arrow, the stylesheet's, points to where an Arabic line starts.
        back = driver.find_element(By.CSS_SELECTOR, "a.back")
        arrow = driver.execute_script(
            "return getComputedStyle(arguments[0], '::before').content", back
        )
        assert arrow.startswith('"→ "'), arrow
        screenshot(driver, "ar-console-round.png")
