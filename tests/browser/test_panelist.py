"""A panelist answers round 1 in a real browser: on a phone, without JavaScript, by keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.harness import PHONE
from tests.browser.pages import (
    QuestionnairePage,
    assert_fits_width,
    press,
    ratings_plan,
    status_message,
)

pytestmark = pytest.mark.browser

REASON = "Prevention funding follows the data; without shared data this stays a wish."


def answer(page: QuestionnairePage, seed: int) -> dict[str, str]:
    """Rate every statement by clicking the labels, give a reason; return the ratings."""
    plan = ratings_plan(page.radio_groups(), seed)
    page.choose(plan)
    assert page.chosen() == plan, "clicking a label selects its radio button"
    page.reason_boxes()[0].send_keys(REASON)
    return plan


def save_reload_and_submit(page: QuestionnairePage, plan: dict[str, str]) -> None:
    """Save a draft and find it kept after a reload, then submit."""
    press(page.driver, "Save draft")
    assert "Your draft is saved" in status_message(page.driver)
    assert page.chosen() == plan
    page.driver.refresh()
    assert page.chosen() == plan
    assert page.reason_boxes()[0].get_property("value") == REASON

    press(page.driver, "Submit answers")
    assert "your answers are submitted" in status_message(page.driver)
    assert page.chosen() == plan


class TestOnAPhone:
    def test_a_panelist_answers_on_a_360px_screen(self, browser, panelist_link, tmp_path: Path):
        driver = browser(phone=True)
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        assert_fits_width(driver, PHONE["width"])

        plan = answer(page, seed=0)
        assert_fits_width(driver, PHONE["width"])
        driver.execute_script("arguments[0].scrollIntoView()", page.statements()[0])
        driver.save_screenshot(str(tmp_path / "1-statement-360px.png"))

        save_reload_and_submit(page, plan)
        assert_fits_width(driver, PHONE["width"])
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(tmp_path / "2-submitted-360px.png"))


class TestWithoutJavaScript:
    def test_a_panelist_saves_and_submits_with_scripts_blocked(self, browser, panelist_link):
        driver = browser(javascript=False)
        driver.get("data:text/html,<title>blocked</title><script>document.title='ran'</script>")
        assert driver.title == "blocked", "page scripts must not run in this browser"
        # WebDriver's own scripts still run (reading which radios are checked, for one).

        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        save_reload_and_submit(page, answer(page, seed=1))


class TestErrorSummary:
    """GOV.UK's pattern: the summary of errors leads a keyboard user to each field.

    As in GOV.UK, focus moves to the summary when the page loads (``autofocus``, so it works
    without JavaScript); its links are the next stop for Tab, and following one keeps the
    question's legend and error message in view.
    """

    def test_keyboard_reaches_the_field_from_the_error_summary(self, browser, panelist_link):
        driver = browser()
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        plan = ratings_plan(page.radio_groups(), seed=2)
        answered = dict(list(plan.items())[:2])  # statement 1 only
        page.choose(answered)
        press(driver, "Submit answers")

        assert driver.title.startswith("Error:")
        summary = driver.find_element(By.CSS_SELECTOR, "main > :first-child")
        assert summary.get_dom_attribute("role") == "alert"
        assert "There is a problem" in summary.text
        links = summary.find_elements(By.TAG_NAME, "a")
        assert len(links) == len(plan) - len(answered), "one entry per unanswered question"
        assert page.chosen() == answered, "what was answered is kept"

        assert driver.switch_to.active_element == summary, "focus starts on the summary"
        driver.switch_to.active_element.send_keys(Keys.TAB)
        assert driver.switch_to.active_element == links[0]

        message = links[0].text
        target = links[0].get_dom_attribute("href").removeprefix("#")
        links[0].send_keys(Keys.ENTER)
        field = driver.switch_to.active_element
        assert field.get_dom_attribute("id") == target
        assert field.get_dom_attribute("type") == "radio"
        in_view = driver.execute_script(
            "const box = arguments[0].getBoundingClientRect();"
            "return box.top >= 0 && box.bottom <= window.innerHeight",
            field,
        )
        assert in_view, "the field is scrolled into view"

        # The same message is repeated beside the field and read out with it, and the
        # question it belongs to stays on screen.
        fieldset = field.find_element(By.XPATH, "ancestor::fieldset")
        legend = fieldset.find_element(By.TAG_NAME, "legend")
        legend_top = driver.execute_script(
            "return arguments[0].getBoundingClientRect().top", legend
        )
        assert legend_top >= 0, "the question's legend is scrolled out of view"
        error = fieldset.find_element(By.CSS_SELECTOR, ".error-message")
        assert message in error.text
        assert error.get_dom_attribute("id") in fieldset.get_dom_attribute("aria-describedby")

        # From there the keyboard alone answers the question.
        field.send_keys(Keys.SPACE)
        assert field.is_selected()
