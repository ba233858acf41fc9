"""The facilitator closes round 1 in the console and launches round 2; a panelist sees the
panel's feedback, with their own rating marked, on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import FACILITATOR_EMAIL, FACILITATOR_PASSWORD, PHONE, OpenRound
from tests.browser.pages import (
    CANNOT_JUDGE,
    QuestionnairePage,
    assert_fits_width,
    follow,
    heading,
    main_text,
    navigate,
    press,
    status_message,
)

pytestmark = pytest.mark.browser

# Six of the seven panelists answer round 1. Each leaves a different question on "cannot
# judge", so every question has at least five ratings: the study's minimum group size,
# below which round 2 withholds a statement's feedback.
RESPONDENTS = 6
STATEMENTS = 27  # in the study file; all rated low, so none reaches consensus in round 1


def answer_round_1(driver: WebDriver, study: OpenRound) -> dict[str, str]:
    """The first few panelists submit, one after another in the same browser; returns the
    first one's ratings, which the test follows (the others are filled in by a script)."""
    page = QuestionnairePage(driver)
    plans = []
    for seed, email in enumerate(study.emails[:RESPONDENTS]):
        driver.delete_all_cookies()
        page.open_link(study.links[email])
        plans.append(
            page.answer_every_topic(
                seed, reason=f"Reason {seed}: the evidence base is thin.", by_script=seed > 0
            )
        )
        press(driver, "Submit answers")
        assert "your answers are submitted" in status_message(driver)
    return plans[0]


def close_and_relaunch(driver: WebDriver, study: OpenRound) -> None:
    """Sign in to the console, close round 1 after the confirmation, read the report,
    launch round 2."""
    base = study.deployment.base_url
    driver.get(f"{base}/console/login")
    driver.find_element(By.ID, "email").send_keys(FACILITATOR_EMAIL)
    driver.find_element(By.ID, "password").send_keys(FACILITATOR_PASSWORD)
    press(driver, "Sign in")
    assert heading(driver) == "Studies"

    driver.get(f"{base}/console/studies/{study.key}")
    follow(driver, "Close round 1")
    assert heading(driver) == "Close round 1?"
    assert f"{RESPONDENTS} of {len(study.emails)} panelists have submitted" in main_text(driver)
    press(driver, "Close round 1")

    assert heading(driver) == "Round 1 report"
    assert status_message(driver) == (
        f"Round 1 closed: {RESPONDENTS} of {len(study.emails)} panelists submitted."
    )
    carried = driver.find_element(By.CSS_SELECTOR, "[data-outcome=carried]").text
    assert carried.startswith(f"{STATEMENTS} carried forward to round 2"), carried

    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.back").click)  # to the study
    press(driver, "Launch round 2")
    assert status_message(driver) == (
        f"Round 2 launched: {len(study.emails)} invitations are queued."
    )


CHART_CHECK = """
const out = [];
for (const svg of document.querySelectorAll('svg.chart__svg')) {
  svg.scrollIntoView({block: 'center'});
  const median = svg.querySelector('.chart__median');
  const box = median.getBoundingClientRect();
  // Along the line, what shows is never a bar (a count label, with its halo, may be).
  const hits = [];
  for (let k = 1; k < 10; k++) {
    hits.push(document.elementFromPoint(box.left + box.width / 2, box.top + box.height * k / 10));
  }
  const texts = Array.from(svg.querySelectorAll('text'));
  const scale = svg.getScreenCTM().a;
  const sizes = texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
  const rects = texts.map((t) => t.getBoundingClientRect());
  const overlaps = [];
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const a = rects[i], b = rects[j];
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      overlaps.push([texts[i].textContent, texts[j].textContent]);
  }
  out.push({
    median_on_top: hits.every((h) => !!h && svg.contains(h) && !h.classList.contains('chart__bar'))
      && hits.some((h) => h.classList.contains('chart__median')
        || h.classList.contains('chart__median-casing')),
    hits: hits.map((h) => h ? h.getAttribute('class') || h.localName : null),
    smallest_text_px: Math.min(...sizes),
    overlaps: overlaps,
    own_under_median: !!svg.querySelector('.chart__bar--own'),
  });
}
return out;
"""


class TestNextRound:
    def test_round_2_shows_the_panel_and_the_panelists_own_rating(
        self, browser, fresh_round: OpenRound, tmp_path: Path
    ):
        own = answer_round_1(browser(), fresh_round)
        close_and_relaunch(browser(), fresh_round)
        fresh_round.deliver()

        driver = browser(phone=True)
        page = QuestionnairePage(driver)
        page.open_link(fresh_round.links[fresh_round.emails[0]])
        assert "Round 2" in driver.title

        # Round 2 asks round 1's questions again, in the same order: one chart per question
        # (here those of the first topic page).
        asked = list(page.radio_groups())
        assert asked == list(own)[: len(asked)]
        own = {name: own[name] for name in asked}
        charts = driver.find_elements(By.CSS_SELECTOR, "article.statement figure")
        assert len(charts) == len(own)
        pictures = driver.find_elements(By.CSS_SELECTOR, "article.statement figure svg[role=img]")
        assert len(pictures) == len(own)
        assert all(picture.is_displayed() for picture in pictures[:2])

        captions = driver.find_elements(By.CSS_SELECTOR, "article.statement figcaption")
        for caption, rating in zip(captions, own.values(), strict=True):
            if rating == CANNOT_JUDGE:
                assert "You chose “Cannot judge”" in caption.text
            else:
                assert f"Your rating: {rating}" in caption.text
        # The own rating's bar is drawn apart, with its tick on the scale in bold.
        rated = [rating for rating in own.values() if rating != CANNOT_JUDGE]
        assert len(driver.find_elements(By.CSS_SELECTOR, ".chart__bar--own")) == len(rated)
        ticks = driver.find_elements(By.CSS_SELECTOR, ".chart__tick--own")
        assert [tick.text for tick in ticks] == rated

        # Every chart: the median line is what shows at its own middle (over any bar, the
        # panelist's dark one included); its text is at least 12 px; no two labels overlap.
        findings = driver.execute_script(CHART_CHECK)
        assert findings, "no chart measured"
        for finding in findings:
            assert finding["median_on_top"], finding
            assert finding["smallest_text_px"] >= 12, finding
            assert not finding["overlaps"], finding

        # The script asks for a reason as soon as a rating falls outside last round's
        # middle range, without a round trip (the server checks again on submit).
        check = driver.find_element(By.CSS_SELECTOR, "[data-reason-check]")
        field = check.get_dom_attribute("data-reason-check")
        low = float(check.get_dom_attribute("data-low"))
        high = float(check.get_dom_attribute("data-high"))
        outside = next(
            v
            for v, _ in page.radio_groups()[field]
            if v != CANNOT_JUDGE and not low <= int(v) <= high
        )
        assert not check.is_displayed()
        page.choose({field: outside})
        assert check.is_displayed()
        assert "Please give a reason before you submit." in check.text

        statements = page.statements()
        driver.execute_script("arguments[0].scrollIntoView()", statements[0])
        driver.save_screenshot(str(tmp_path / "round-2-feedback-360px.png"))

        assert_fits_width(driver, PHONE["width"])
