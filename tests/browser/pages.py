"""The pages as a person uses them: labels to click, buttons to press, messages to read."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urlsplit

from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

NAVIGATION_TIMEOUT = 15
CANNOT_JUDGE = "cj"

RadioGroups = dict[str, list[tuple[str, str]]]  # group name -> [(value, input id), ...]


# A mark on the document being left: the next page's document never has it.
_LEAVING = "document.delphiLeaving = true"
_ARRIVED = "return document.delphiLeaving !== true && document.readyState === 'complete'"


def _gone(element: WebElement) -> bool:
    """Whether the element's page has been replaced (``staleness_of``, and the other ways
    chromedriver reports it)."""
    try:
        return bool(expected_conditions.staleness_of(element)(None))
    except NoSuchElementException:
        # Some chromedriver versions answer so, now and then, for a replaced page's element.
        return True
    except WebDriverException as exc:
        # While the next page loads chromedriver may report the old page's elements this
        # way instead of as stale (SeleniumHQ/selenium#15401).
        if "does not belong to the document" in str(exc.msg):
            return True
        raise


def navigate(driver: WebDriver, action: Callable[[], object]) -> None:
    """Do what leads to another page (a click, Enter on a button or link) and wait until
    that page has replaced this one and loaded: finding elements before then may find the
    old page's, stale a moment later. No element found before may be used after."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script(_LEAVING)
    action()
    wait = WebDriverWait(driver, NAVIGATION_TIMEOUT, poll_frequency=0.05)
    wait.until(lambda _: _gone(page))
    # The old <html> may be reported gone while its document still answers scripts (see
    # _gone): the next page is there once the document has no mark and has loaded.
    wait.until(lambda d: d.execute_script(_ARRIVED))


class Focus(NamedTuple):
    """What has the keyboard focus, read in one script: no element reference to go stale."""

    tag: str
    type: str | None
    name: str | None
    value: str | None


def focused(driver: WebDriver) -> Focus:
    """The element that has the focus (``body`` when nothing has)."""
    tag, type_, name, value = driver.execute_script(
        "const e = document.activeElement || document.body;"
        "return [e.localName, e.getAttribute('type'), e.getAttribute('name'),"
        " e.getAttribute('value')]"
    )
    return Focus(tag, type_, name, value)


def key(driver: WebDriver, *keys: str) -> None:
    """Press ``keys`` on whatever has the focus, as a keyboard does: no element is named."""
    ActionChains(driver).send_keys(*keys).perform()


def _navigate_by(driver: WebDriver, control: WebElement) -> None:
    navigate(driver, control.click)


def press(driver: WebDriver, caption: str) -> None:
    """Press the last button with this caption (the one that ends the form) and wait for
    the page it leads to."""
    buttons = driver.find_elements(By.XPATH, f"//button[normalize-space()='{caption}']")
    assert buttons, f"no {caption!r} button on {driver.current_url}"
    _navigate_by(driver, buttons[-1])


def press_value(driver: WebDriver, value: str) -> None:
    """Press the last button with this ``value`` (any language) and wait for the next page."""
    buttons = driver.find_elements(By.CSS_SELECTOR, f"button[value='{value}']")
    assert buttons, f"no {value!r} button on {driver.current_url}"
    _navigate_by(driver, buttons[-1])


def follow(driver: WebDriver, link_text: str) -> None:
    """Follow the link whose text starts with ``link_text`` and wait for its page."""
    _navigate_by(driver, driver.find_element(By.PARTIAL_LINK_TEXT, link_text))


def status_message(driver: WebDriver) -> str:
    """The text of the page's status banner (success messages)."""
    return driver.find_element(By.CSS_SELECTOR, "[role=status]").text


def heading(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def main_text(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def horizontal_extent(driver: WebDriver) -> tuple[int, int]:
    """(the page's scroll width, the window's inner width), in CSS pixels."""
    scroll_width, inner_width = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return int(scroll_width), int(inner_width)


def assert_fits_width(driver: WebDriver, width: int) -> None:
    """The page is as wide as the window: nothing scrolls sideways or makes a phone zoom out."""
    scroll_width, inner_width = horizontal_extent(driver)
    assert scroll_width <= inner_width == width, f"too wide: {sticking_out(driver)}"


def sticking_out(driver: WebDriver) -> set[str]:
    """``tag.class`` of the outermost elements that reach past the right edge of the page."""
    found = driver.execute_script(
        """
        const edge = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
          if (el.getBoundingClientRect().right <= edge) continue;
          if (out.some((outer) => outer.contains(el))) continue;
          out.push(el);
        }
        return out.map((el) => el.localName + '.' + (el.getAttribute('class') || ''));
        """
    )
    return set(found)


class _RadioInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.groups: RadioGroups = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "radio":
            name, value, id_ = (attributes.get(k) or "" for k in ("name", "value", "id"))
            self.groups.setdefault(name, []).append((value, id_))


def ratings_plan(groups: RadioGroups, seed: int) -> dict[str, str]:
    """A value for every radio group from the lowest five points of its scale (so importance,
    1-9, never reaches consensus), and "cannot judge" for group number ``seed + 1``."""
    plan = {}
    for k, (name, options) in enumerate(groups.items()):
        scale = [value for value, _ in options if value != CANNOT_JUDGE]
        plan[name] = CANNOT_JUDGE if k == 1 + seed else scale[(seed + 2 * k) % min(len(scale), 5)]
    return plan


NEXT = "Save and continue"
REVIEW = "Save and review your answers"


def has_button(driver: WebDriver, caption: str) -> bool:
    return bool(driver.find_elements(By.XPATH, f"//button[normalize-space()='{caption}']"))


class QuestionnairePage:
    """The panelist's questionnaire: a page per topic at /round?topic=n, then the summary."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def open_link(self, link: str) -> None:
        """Follow the emailed link; the browser must land on /round without the token."""
        self.driver.get(link)
        assert urlsplit(self.driver.current_url).path == "/round", self.driver.current_url
        assert link.rsplit("/", 1)[1] not in self.driver.current_url

    def radio_groups(self) -> RadioGroups:
        """Every rating question on the page, in page order."""
        parser = _RadioInputs()
        parser.feed(self.driver.page_source)
        parser.close()
        return parser.groups

    def choose(self, plan: dict[str, str]) -> None:
        """Click the label of each planned answer, as a person taps the visible box."""
        groups = self.radio_groups()
        ids = [i for name, value in plan.items() for v, i in groups[name] if v == value]
        assert len(ids) == len(plan), "a planned answer is not on the page"
        labels = self.driver.find_elements(
            By.CSS_SELECTOR, ", ".join(f"label[for='{input_id}']" for input_id in ids)
        )
        assert len(labels) == len(ids), "a radio button has no label"
        for label in labels:
            # In the middle of the screen, as a person scrolls to it: not under the bar
            # that stays at the top.
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
            label.click()

    def choose_by_script(self, plan: dict[str, str]) -> None:
        """Click the planned labels from a script: quick set-up for answers not under test."""
        groups = self.radio_groups()
        ids = [i for name, value in plan.items() for v, i in groups[name] if v == value]
        self.driver.execute_script(
            "for (const id of arguments[0]) document.querySelector(`label[for='${id}']`).click()",
            ids,
        )

    def chosen(self) -> dict[str, str]:
        """The value the browser shows as selected in each group that has one."""
        checked = self.driver.execute_script(
            "return Array.from(document.querySelectorAll('input[type=radio]:checked'),"
            " (radio) => [radio.name, radio.value])"
        )
        return dict(checked)

    def reason_boxes(self) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, "article.statement textarea")

    def statements(self) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, "article.statement")

    def topics(self) -> int:
        """How many topic pages the questionnaire has (the step list of a topic page, less
        the summary)."""
        return len(self.driver.find_elements(By.CSS_SELECTOR, ".steps__item")) - 1

    def topic(self, number: int) -> None:
        base = urlsplit(self.driver.current_url)
        self.driver.get(f"{base.scheme}://{base.netloc}/round?topic={number}")

    def chosen_everywhere(self) -> dict[str, str]:
        """The selected answers on every topic page, each opened in turn."""
        self.topic(1)
        found = self.chosen()
        for number in range(2, self.topics() + 1):
            self.topic(number)
            found.update(self.chosen())
        return found

    def answer_every_topic(
        self, seed: int, *, reason: str | None = None, by_script: bool = False
    ) -> dict[str, str]:
        """Rate every statement of each topic page in turn (clicking the labels, or from a
        script), the first statement with ``reason``, moving on with the page's own
        button; ends on the summary. Returns every answer given."""
        given: dict[str, str] = {}
        while True:
            plan = ratings_plan(self.radio_groups(), seed)
            (self.choose_by_script if by_script else self.choose)(plan)
            assert self.chosen() == plan, "clicking a label selects its radio button"
            if reason and not given:
                self.reason_boxes()[0].send_keys(reason)
            given.update(plan)
            if has_button(self.driver, NEXT):
                press(self.driver, NEXT)
            else:
                press(self.driver, REVIEW)
                return given
