"""A panelist answers round 1 in a real browser: on a phone, without JavaScript, by keyboard."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.harness import PHONE
from tests.browser.pages import (
    NEXT,
    REVIEW,
    QuestionnairePage,
    assert_fits_width,
    heading,
    main_text,
    navigate,
    press,
    ratings_plan,
    status_message,
)

pytestmark = pytest.mark.browser

STATEMENTS = 27
REASON = "Prevention funding follows the data; without shared data this stays a wish."


def save_reload_and_submit(page: QuestionnairePage, plan: dict[str, str]) -> None:
    """From the summary: find every answer kept on its topic page after a reload, save a
    draft there (back where the panelist was), then submit from the summary."""
    driver = page.driver
    assert "0 statements" not in main_text(driver)
    assert page.chosen_everywhere() == plan
    page.topic(1)
    driver.refresh()
    assert page.reason_boxes()[0].get_property("value") == REASON
    press(driver, "Save draft")
    assert "Your draft is saved" in status_message(driver)
    assert urlsplit(driver.current_url).query.startswith("topic=1")

    page.topic(3)
    press(driver, REVIEW)
    assert heading(driver) != ""
    assert "Not answered yet" not in main_text(driver)
    press(driver, "Submit answers")
    assert "your answers are submitted" in status_message(driver)
    assert "What happens next" in main_text(driver)
    assert page.chosen_everywhere() == plan


class TestOnAPhone:
    def test_a_panelist_answers_on_a_360px_screen(self, browser, panelist_link, tmp_path: Path):
        driver = browser(phone=True)
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        assert_fits_width(driver, PHONE["width"])
        assert "Topic 1 of 3" in main_text(driver)

        driver.execute_script("arguments[0].scrollIntoView()", page.statements()[0])
        driver.save_screenshot(str(tmp_path / "1-statement-360px.png"))
        plan = page.answer_every_topic(seed=0, reason=REASON)
        assert_fits_width(driver, PHONE["width"])

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
        save_reload_and_submit(page, page.answer_every_topic(seed=1, reason=REASON))

    def test_a_partial_page_keeps_what_was_answered_and_the_summary_lists_the_rest(
        self, browser, panelist_link
    ):
        driver = browser(javascript=False)
        page = QuestionnairePage(driver)
        page.open_link(panelist_link)
        plan = ratings_plan(page.radio_groups(), seed=3)
        answered = dict(list(plan.items())[:2])  # statement 1 only
        page.choose(answered)
        press(driver, NEXT)
        assert "Topic 2 of 3" in main_text(driver)
        press(driver, NEXT)
        press(driver, REVIEW)
        summary = main_text(driver)
        assert "Not answered yet" in summary
        assert "Statement 1:" not in summary
        assert "Statement 2:" in summary
        assert f"1 of {STATEMENTS} statements answered" in summary
        page.topic(1)
        assert page.chosen() == answered


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
        press(driver, NEXT)
        driver.get(driver.current_url.split("/round")[0] + "/round/summary")
        press(driver, "Submit answers")

        # The summary page lists every problem, each leading to its topic page.
        assert driver.title.startswith("Error:")
        listed = driver.find_element(By.CSS_SELECTOR, "main > :first-child")
        assert listed.get_dom_attribute("role") == "alert"
        every = listed.find_elements(By.TAG_NAME, "a")
        assert len(every) == 2 * STATEMENTS - len(answered), "one entry per unanswered question"
        assert driver.switch_to.active_element == listed, "focus starts on the summary"
        driver.switch_to.active_element.send_keys(Keys.TAB)
        assert driver.switch_to.active_element == every[0]
        first_target = every[0].get_dom_attribute("href").split("#")[1]
        navigate(driver, partial(every[0].send_keys, Keys.ENTER))

        # The topic page opens at the field (the link's fragment), and repeats its own
        # problems at the top with links within the page.
        assert driver.title.startswith("Error:")
        assert driver.current_url.endswith(f"#{first_target}")
        in_view = driver.execute_script(
            "const box = arguments[0].getBoundingClientRect();"
            "return box.top >= 0 && box.bottom <= window.innerHeight",
            driver.find_element(By.ID, first_target),
        )
        assert in_view, "the field is scrolled into view"
        assert page.chosen() == answered, "what was answered is kept"
        summary = driver.find_element(By.CSS_SELECTOR, "main > :first-child")
        assert "There is a problem" in summary.text
        links = summary.find_elements(By.TAG_NAME, "a")
        summary.send_keys(Keys.TAB)
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
