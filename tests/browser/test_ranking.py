"""The ranking question's reorder control in headless Chromium: buttons, keyboard, the
live region, and the selects it writes (which are the whole control without JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.browser.harness import OpenRound, Site
from tests.browser.pages import (
    NEXT,
    REVIEW,
    QuestionnairePage,
    has_button,
    press,
    ratings_plan,
    status_message,
)

pytestmark = pytest.mark.browser


def with_ranking(study: dict[str, Any]) -> None:
    """The demo study's ranking question, asked of every statement (not the top three)."""
    [priority] = [c for c in study["criteria"] if c.get("kind") == "rank"]
    del priority["top"]


@pytest.fixture(scope="module")
def ranking_round(site: Site) -> OpenRound:
    return site.open_study(with_ranking)


def rankings(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "[data-ranking]")


def order(ranking: WebElement) -> list[tuple[str, str]]:
    """(statement caption, select value) down the list, as the browser shows it."""
    return [
        (
            item.get_attribute("data-statement"),
            item.find_element(By.TAG_NAME, "select").get_property("value"),
        )
        for item in ranking.find_elements(By.CSS_SELECTOR, "[data-ranking-item]")
    ]


def move_button(ranking: WebElement, place: int, direction: str) -> WebElement:
    items = ranking.find_elements(By.CSS_SELECTOR, "[data-ranking-item]")
    return items[place].find_element(By.CSS_SELECTOR, f"button[data-move={direction}]")


def live_region(ranking: WebElement) -> str:
    return str(
        ranking.find_element(By.CSS_SELECTOR, "[data-ranking-status]").get_property("textContent")
    )


class TestReorderControl:
    def test_buttons_and_keys_reorder_and_announce_then_submit(
        self, browser, ranking_round: OpenRound
    ) -> None:
        driver = browser()
        page = QuestionnairePage(driver)
        page.open_link(ranking_round.links.pop(min(ranking_round.links)))
        first = rankings(driver)[0]
        captions = [caption for caption, _ in order(first)]
        count = len(captions)
        assert all(value == "" for _, value in order(first))  # nothing ranked yet
        assert len(first.find_elements(By.CSS_SELECTOR, "button[data-move]")) == 2 * count

        # Keyboard: focus "Move down" of the first statement and press Enter.
        button = move_button(first, 0, "down")
        button.send_keys(Keys.ENTER)
        assert order(first)[:2] == [(captions[1], "1"), (captions[0], "2")]
        assert [value for _, value in order(first)] == [str(p) for p in range(1, count + 1)]
        assert driver.switch_to.active_element == button  # the focus stays with it
        assert live_region(first) == f"{captions[0]} is now at place 2 of {count}."

        # Space on "Move up" of the last statement.
        move_button(first, count - 1, "up").send_keys(Keys.SPACE)
        assert order(first)[-2][0] == captions[-1]
        assert live_region(first) == f"{captions[-1]} is now at place {count - 1} of {count}."

        # Alt + arrow up on a select moves its statement too.
        select = first.find_elements(By.TAG_NAME, "select")[1]  # now captions[0], place 2
        select.send_keys(Keys.ALT, Keys.ARROW_UP)
        assert order(first)[0] == (captions[0], "1")
        assert driver.switch_to.active_element == select

        # Every statement rated; each other topic's page ranked with one move; then the
        # summary, where the answers are submitted.
        shown = order(first)
        while True:
            page.choose_by_script(ratings_plan(page.radio_groups(), seed=0))
            if not has_button(driver, NEXT):
                press(driver, REVIEW)
                break
            press(driver, NEXT)
            [ranking] = rankings(driver)  # one ranking question per topic page
            move_button(ranking, 0, "down").click()
        press(driver, "Submit answers")
        assert "your answers are submitted" in status_message(driver)
        # The topic page comes back in the order submitted, positions in their selects.
        page.topic(1)
        assert order(rankings(driver)[0]) == shown

    def test_without_javascript_the_selects_are_the_control(
        self, browser, ranking_round: OpenRound
    ) -> None:
        driver = browser(javascript=False)
        page = QuestionnairePage(driver)
        page.open_link(ranking_round.links.pop(min(ranking_round.links)))
        first = rankings(driver)[0]
        assert not first.find_elements(By.CSS_SELECTOR, "button[data-move]")
        selects = first.find_elements(By.TAG_NAME, "select")
        assert all(s.is_displayed() for s in selects)
        # Two statements at position 1: refused, named, and kept.
        for select in selects[:2]:
            select.send_keys("Position 1")
        press(driver, "Save draft")
        driver.get(driver.current_url.split("/round")[0] + "/round/summary")
        press(driver, "Submit answers")
        assert (
            "position 1 is given to statements 1, 2"
            in driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
        )
        page.topic(1)
        assert [
            s.get_property("value")
            for s in rankings(driver)[0].find_elements(By.TAG_NAME, "select")
        ][:2] == ["1", "1"]
