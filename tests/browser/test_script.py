"""The questionnaire's script (app/static/questionnaire.js) in a real browser: a whole
round with it on, autosave to the server and to the browser, restored after the tab is
closed, and the warning before leaving with answers not saved."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.pages import QuestionnairePage, main_text, press, ratings_plan, status_message

pytestmark = pytest.mark.browser

SAVE_WAIT = 15
# Whether the page asks before being left (the event is dispatched by hand: headless
# Chromium's driver answers the real dialog itself).
LEAVING = (
    "const e = new Event('beforeunload', {cancelable: true});"
    "window.dispatchEvent(e); return e.defaultPrevented"
)


def saved_status(driver: WebDriver, text: str) -> None:
    WebDriverWait(driver, SAVE_WAIT, poll_frequency=0.1).until(
        lambda d: text in d.find_element(By.CSS_SELECTOR, "[data-saved-status]").text
    )


def reopen_in_a_new_tab(driver: WebDriver, url: str) -> None:
    """Close the tab the panelist answered in and open the page again in a new one."""
    old = driver.current_window_handle
    driver.switch_to.new_window("tab")
    new = driver.current_window_handle
    driver.switch_to.window(old)
    driver.close()
    driver.switch_to.window(new)
    driver.get(url)


def offline(driver: WebDriver, on: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


class TestWithTheScript:
    def test_a_whole_round_with_live_progress(
        self, browser: Callable[..., WebDriver], panelist_link: str
    ) -> None:
        driver = browser(phone=True)
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        progress = driver.find_element(By.CSS_SELECTOR, "[data-progress]")
        assert "0 of 27 statements answered" in progress.text
        plan = ratings_plan(page.radio_groups(), seed=4)
        page.choose(dict(list(plan.items())[:2]))  # statement 1, both criteria
        assert "1 of 27 statements answered" in progress.text, "counted without a reload"
        # The bar stays in view while the panelist scrolls down the page.
        driver.execute_script("arguments[0].scrollIntoView()", page.statements()[-1])
        top = driver.execute_script("return arguments[0].getBoundingClientRect().top", progress)
        assert 0 <= top < 100

        given = page.answer_every_topic(seed=4)
        assert "27 of 27 statements answered" in main_text(driver)
        press(driver, "Submit answers")
        assert "your answers are submitted" in status_message(driver)
        assert page.chosen_everywhere() == given


class TestAutosave:
    def test_a_draft_saved_by_the_script_is_there_after_the_tab_is_closed(
        self, browser: Callable[..., WebDriver], panelist_link: str
    ) -> None:
        driver = browser()
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        answered = dict(list(ratings_plan(page.radio_groups(), seed=5).items())[:4])
        page.choose(answered)
        page.reason_boxes()[0].send_keys("Saved without pressing a button.")
        saved_status(driver, "Draft saved")
        assert not driver.execute_script(LEAVING), "a warning although everything is saved"

        reopen_in_a_new_tab(driver, driver.current_url)
        assert page.chosen() == answered
        assert page.reason_boxes()[0].get_property("value") == "Saved without pressing a button."

    def test_answers_given_offline_are_restored_from_the_browser(
        self, browser: Callable[..., WebDriver], panelist_link: str
    ) -> None:
        driver = browser()
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        url = driver.current_url
        answered = dict(list(ratings_plan(page.radio_groups(), seed=6).items())[:2])
        offline(driver, True)
        page.choose(answered)
        saved_status(driver, "you seem to be offline")

        # Leaving now asks first: the answers have not reached the server.
        assert driver.execute_script(LEAVING), "no warning before leaving with unsaved answers"

        offline(driver, False)
        reopen_in_a_new_tab(driver, url)
        # The server has nothing yet; the browser's copy is put back and sent.
        assert page.chosen() == answered
        saved_status(driver, "Draft saved")
        driver.refresh()
        assert page.chosen() == answered, "the restored answers reached the server"
