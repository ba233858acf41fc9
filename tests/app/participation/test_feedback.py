"""Round 2: last round's feedback beside each statement, and reasons for outlying ratings."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from app.models import Panelist, Round, Survey
from app.rounds import service as rounds
from tests.app.participation.conftest import Browser, Page, add_panelist, csrf_of, full_form

# Round 1 importance ratings by panelist index: median 7, quartiles 3.5 and 8.5 (Weibull).
ROUND1_IMPORTANCE = {0: 2, 1: 5, 2: 7, 3: 8, 4: 9}

Enter = Callable[[Round, Panelist], Browser]


# Distinct arguments: near-duplicates would be merged into one.
REASONS = {
    0: "Our courts already accept electronic evidence from abroad.",
    1: "Training budgets are far too small in most regions.",
    2: "Regional networks exist on paper but rarely meet.",
    3: "Prosecutors rotate so often that training does not stick.",
    4: "It closes the most common gap in mutual legal assistance.",
}


def _reason(n: int) -> str:
    return REASONS[n]


def _any_reason(text: str) -> bool:
    return any(reason in text for reason in REASONS.values())


@pytest.fixture
def round2(
    db: Session, survey: Survey, panel: list[Panelist], round1: Round, enter: Enter
) -> Round:
    """Round 1 answered by panelists 0-4 (5 abstains), closed; round 2 launched."""
    for n, rating in ROUND1_IMPORTANCE.items():
        form = full_form(survey, round1, rating)
        form.update({f"reason-{item.statement_id}": _reason(n) for item in round1.items})
        assert enter(round1, panel[n]).post(form, "submit").status_code == 303
    rounds.close(db, survey, round1, actor="test")
    return rounds.launch(db, survey, actor="test")


class TestFeedback:
    def test_the_distribution_median_and_iqr_are_shown(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        html = enter(round2, panel[0]).page()
        page = Page(html)
        charts = page.all("svg", role="img")
        assert len(charts) == len(round2.items) * 2
        assert all(chart["aria-labelledby"] in page.ids for chart in charts)
        assert "How the panel rated this in round 1" in page.text
        assert "Median: 7" in page.text
        assert "Middle half (IQR): 3.5–8.5" in page.text
        assert (
            "Importance: 5 ratings; median 7; the middle half of ratings "
            "(interquartile range) from 3.5 to 8.5."
        ) in page.text
        # Nine scale points on importance, five on feasibility; a bar where anyone rated.
        ticks = [t for t in page.all("text") if "chart__tick" in t.get("class", "")]
        assert len(ticks) == len(round2.items) * (9 + 5)
        bars = [r for r in page.all("rect") if "chart__bar" in r.get("class", "")]
        assert len(bars) == len(round2.items) * (5 + 2)  # feasibility was 2 once, 5 four times

    def test_the_panelists_own_previous_rating_is_marked(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        page = Page(enter(round2, panel[0]).page())
        assert "Your rating: 2" in page.text
        own = [r for r in page.all("rect") if "chart__bar--own" in r.get("class", "")]
        assert len(own) == len(round2.items) * 2  # one per chart
        assert "▼ You" in page.text

    def test_someone_who_did_not_answer_last_round_is_told_so(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        page = Page(enter(round2, panel[5]).page())
        assert "You did not rate this" in page.text
        assert not [r for r in page.all("rect") if "chart__bar--own" in r.get("class", "")]

    def test_anonymous_reasons_per_criterion_and_band(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        html = enter(round2, panel[0]).page()
        page = Page(html)
        assert (
            "Importance: reasons from panelists who rated it within the middle range (3.5 to 8.5)"
            in page.text
        )
        assert (
            "Importance: reasons from panelists who rated it above the middle range (over 8.5)"
            in page.text
        )
        # Panelist 0 (rated 2, below) reads nobody below; their own reason is never shown.
        assert "rated it below the middle range" not in page.text
        assert _reason(0) not in page.text
        # Importance: two of panelists 1-3 within, panelist 4 above; feasibility (within
        # 3.5-5 for all of them) adds the one not shown yet: four per statement.
        quotes = page.all("blockquote", **{"class": "quote", "lang": "en"})
        assert len(quotes) == len(round2.items) * 4
        assert page.text.count(_reason(4)) == len(round2.items)
        assert "Written in another language" not in page.text
        for panelist in panel:
            assert panelist.name not in page.text
            assert panelist.email not in page.text
        assert "Academia" not in page.text

    def test_the_chart_has_a_text_alternative(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        html = enter(round2, panel[0]).page()
        page = Page(html)
        assert "<title id=" in html
        assert page.all("div", **{"class": "visually-hidden"})
        assert page.all("table")
        assert page.all("th", scope="row")

    def test_statements_rated_by_nobody_get_no_feedback(
        self, db: Session, survey: Survey, round1: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        rounds.close(db, survey, round1, actor="test")
        round_ = rounds.launch(db, survey, actor="test")
        html = enter(round_, panel[0]).page()
        assert "<svg" not in html
        assert "How the panel rated" not in html

    def test_french_feedback(
        self, db: Session, survey: Survey, round2: Round, enter: Enter
    ) -> None:
        panelist = add_panelist(db, survey, 50, language="fr")
        text = Page(enter(round2, panelist).page()).text
        assert "Évaluation du panel au tour 1" in text
        assert "Médiane : 7" in text
        assert "Vous n’avez pas évalué cet énoncé" in text

    @pytest.mark.parametrize(
        ("language", "figures"),
        [
            (
                "fr",
                [
                    "Moitié centrale (EIQ) : 3,5–8,5",
                    "Importance : 5 notes ; médiane 7 ; la moitié centrale des notes "
                    "(écart interquartile) va de 3,5 à 8,5.",
                ],
            ),
            (
                "es",
                [
                    "Mitad central (RIC): 3,5–8,5",
                    "Importancia: 5 calificaciones; mediana 7; la mitad central de las "
                    "calificaciones (rango intercuartílico) va de 3,5 a 8,5.",
                ],
            ),
        ],
    )
    def test_figures_are_written_with_the_languages_decimal_comma(
        self,
        db: Session,
        survey: Survey,
        round2: Round,
        enter: Enter,
        language: str,
        figures: list[str],
    ) -> None:
        panelist = add_panelist(db, survey, 51, language=language)
        text = Page(enter(round2, panelist).page()).text
        for figure in figures:
            assert figure in text
        assert "3.5" not in text


class TestReasonOutsideTheMiddleRange:
    def test_an_outlying_rating_needs_a_reason_to_submit(
        self, db: Session, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        browser = enter(round2, panel[0])
        response = browser.post(full_form(survey, round2, 2), "submit")
        assert response.status_code == 422
        page = Page(response.text)
        assert "give a reason, because your Importance rating is outside" in page.text
        links = [a["href"] for a in page.all("a") if "check=1#reason-" in a["href"]]
        assert len(links) == len(round2.items)
        beside = Page("".join(browser.topic(n, check="1") for n in range(1, 4)))
        reason_errors = [i for i in beside.ids if i.startswith("reason-") and i.endswith("-error")]
        assert len(reason_errors) == len(round2.items)
        assert rounds.status(db, round2).submitted == 0

    def test_the_prompt_shows_for_a_saved_outlying_rating(
        self, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        browser = enter(round2, panel[0])
        browser.post(full_form(survey, round2, 9), "save")
        text = Page(browser.page()).text
        assert (
            "Your Importance rating is outside the range where the middle half of the panel "
            "rated last round (3.5 to 8.5). Please give a reason before you submit."
        ) in text

    def test_the_prompt_and_the_error_are_in_the_panelists_language(
        self, db: Session, survey: Survey, round2: Round, enter: Enter
    ) -> None:
        browser = enter(round2, add_panelist(db, survey, 52, language="fr"))
        response = browser.post(full_form(survey, round2, 2), "submit")
        assert response.status_code == 422
        text = Page(response.text).text + Page(browser.topic(1, check="1")).text
        assert (
            "Votre note pour « Importance » se situe hors de l’intervalle où la moitié centrale "
            "du panel s’est placée au tour précédent (3,5 à 8,5)."
        ) in text
        assert (
            "justifiez votre note, car votre note pour « Importance » se situe hors de "
            "l’intervalle central du tour précédent (3,5 à 8,5)"
        ) in text

    def test_with_a_reason_it_is_accepted(
        self, db: Session, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        form = full_form(survey, round2, 2)
        form.update({f"reason-{item.statement_id}": "Still low." for item in round2.items})
        assert enter(round2, panel[0]).post(form, "submit").status_code == 303
        assert rounds.status(db, round2).submitted == 1

    def test_a_rating_inside_the_range_or_on_a_criterion_without_a_rule_needs_none(
        self, db: Session, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        importance, feasibility = survey.criteria
        form = {
            **full_form(survey, round2, 5),
            **{
                f"r-{item.statement_id}-{feasibility.id}": "1"  # outside 3.5-5, but no rule
                for item in round2.items
            },
        }
        assert importance.consensus_rule
        assert not feasibility.consensus_rule
        assert enter(round2, panel[0]).post(form, "submit").status_code == 303


class TestTooFewRatersLastRound:
    """Fewer than k ratings last round: no chart, no figures, no reasons, only a note.

    With two raters, a panelist who sees the chart with their own rating marked knows the
    other's rating; the quartiles in a reason prompt and the reasons tell as much.
    """

    NOTE = "Too few panelists rated this last round to show their answers."

    @pytest.fixture
    def sparse(self, round1: Round) -> int:
        """The second statement of round 1, rated only by panelists 0 and 1 (n = 2 < k)."""
        return round1.items[1].statement_id

    @pytest.fixture
    def round2(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1: Round,
        enter: Enter,
        sparse: int,
    ) -> Round:
        assert survey.min_group_size == 5
        for n, rating in ROUND1_IMPORTANCE.items():
            form = full_form(survey, round1, rating)
            form.update({f"reason-{item.statement_id}": _reason(n) for item in round1.items})
            if n >= 2:
                form.update({f"r-{sparse}-{c.id}": "cj" for c in survey.criteria})
            assert enter(round1, panel[n]).post(form, "submit").status_code == 303
        rounds.close(db, survey, round1, actor="test")
        round_ = rounds.launch(db, survey, actor="test")
        assert sparse in {item.statement_id for item in round_.items}
        return round_

    @staticmethod
    def section(html: str, statement_id: int) -> str:
        match = re.search(
            rf'<section class="feedback" aria-labelledby="fb-{statement_id}">(.*?)</section>',
            html,
            re.DOTALL,
        )
        assert match, f"no feedback for statement {statement_id}"
        return match[1]

    def test_the_statement_shows_a_note_instead_of_the_answers(
        self, round2: Round, panel: list[Panelist], enter: Enter, sparse: int
    ) -> None:
        html = enter(round2, panel[0]).page()
        withheld = self.section(html, sparse)
        assert self.NOTE in Page(withheld).text
        assert "<svg" not in withheld
        assert not _any_reason(withheld)
        assert "Median" not in withheld
        assert "Your rating" not in withheld
        # Statements enough panelists rated still show everything.
        shown = self.section(html, round2.items[0].statement_id)
        assert "<svg" in shown
        assert _any_reason(shown)
        assert self.NOTE not in shown

    def test_every_panelist_gets_the_note_one_after_the_other(
        self, round2: Round, panel: list[Panelist], enter: Enter, sparse: int
    ) -> None:
        # Panelists 0 and 1 rated it, 5 did not: the note for each, from kept fragments
        # too, and the figures of the statements rated enough beside it.
        for n in (0, 1, 5, 0, 1):
            html = enter(round2, panel[n]).page()
            withheld = self.section(html, sparse)
            assert self.NOTE in Page(withheld).text
            assert "<svg" not in withheld
            assert "Your rating" not in withheld
            assert not _any_reason(withheld)
            assert "<svg" in self.section(html, round2.items[0].statement_id)

    def test_no_reason_is_asked_for_against_the_hidden_quartiles(
        self,
        db: Session,
        survey: Survey,
        round2: Round,
        panel: list[Panelist],
        enter: Enter,
        sparse: int,
    ) -> None:
        importance = survey.criteria[0]
        form = {**full_form(survey, round2, 5), f"r-{sparse}-{importance.id}": "1"}
        browser = enter(round2, panel[0])
        browser.post(form, "save")
        assert "outside the range" not in Page(browser.page()).text
        assert browser.post(form, "submit").status_code == 303
        assert rounds.status(db, round2).submitted == 1

    @pytest.mark.parametrize(
        ("language", "note"),
        [
            ("fr", "Trop peu de panélistes ont évalué cet énoncé au tour précédent"),
            ("es", "Muy pocos panelistas calificaron este enunciado en la ronda anterior"),
        ],
    )
    def test_the_note_is_in_the_panelists_language(
        self,
        db: Session,
        survey: Survey,
        round2: Round,
        enter: Enter,
        sparse: int,
        language: str,
        note: str,
    ) -> None:
        panelist = add_panelist(db, survey, 60, language=language)
        assert note in Page(self.section(enter(round2, panelist).page(), sparse)).text


class TestRepeatedReasons:
    def test_identical_reasons_are_shown_once(
        self, db: Session, survey: Survey, round1: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        for n, rating in ROUND1_IMPORTANCE.items():
            form = full_form(survey, round1, rating)
            text = "Same words." if n in (2, 3) else _reason(n)
            form.update({f"reason-{item.statement_id}": text for item in round1.items})
            assert enter(round1, panel[n]).post(form, "submit").status_code == 303
        rounds.close(db, survey, round1, actor="test")
        round2 = rounds.launch(db, survey, actor="test")
        page = Page(enter(round2, panel[0]).page())
        assert page.text.count("Same words.") == len(round2.items)
        assert page.text.count(_reason(4)) == len(round2.items)


class TestStakeholderGroupFeedback:
    """A study setting shows last round's figures per stakeholder group, with k applied."""

    def launch_round_2(
        self, db: Session, survey: Survey, enter: Enter, groups: list[str], shown: bool
    ) -> tuple[Round, Panelist]:
        survey.feedback = {**survey.feedback, "groups": shown}
        panel = [add_panelist(db, survey, 200 + n, group=g) for n, g in enumerate(groups)]
        round1 = rounds.launch(db, survey, actor="test")
        for n, panelist in enumerate(panel):
            form = full_form(survey, round1, 3 + n % 5)
            assert enter(round1, panelist).post(form, "submit").status_code == 303
        rounds.close(db, survey, round1, actor="test")
        return rounds.launch(db, survey, actor="test"), panel[0]

    def test_groups_of_at_least_k_are_shown(
        self, db: Session, survey: Survey, enter: Enter
    ) -> None:
        groups = ["ngo"] * 5 + ["academia"] * 5
        round2, panelist = self.launch_round_2(db, survey, enter, groups, shown=True)
        page = Page(enter(round2, panelist).topic(1))
        assert "Importance by stakeholder group" in page.text
        labels = {g["key"]: survey.text(g["label"]) for g in survey.stakeholder_groups}
        row = re.search(rf"{re.escape(labels['ngo'])} (\d+) ", page.text)
        assert row is not None
        assert row[1] == "5"
        assert labels["academia"] in page.text
        # The other groups rated nothing: the note says why they are missing.
        assert "Groups with fewer than 5 ratings are not shown" in page.text

    def test_small_groups_are_never_shown(self, db: Session, survey: Survey, enter: Enter) -> None:
        # Five raters in five groups: every group is below k.
        groups = ["member-state", "ngo", "academia", "private-sector", "institute"]
        round2, panelist = self.launch_round_2(db, survey, enter, groups, shown=True)
        page = Page(enter(round2, panelist).topic(1))
        assert "Groups with fewer than 5 ratings are not shown" in page.text
        assert 'class="groups"' not in enter(round2, panelist).topic(1)

    def test_off_by_default(self, db: Session, survey: Survey, enter: Enter) -> None:
        groups = ["ngo"] * 5 + ["academia"] * 5
        round2, panelist = self.launch_round_2(db, survey, enter, groups, shown=False)
        assert "by stakeholder group" not in Page(enter(round2, panelist).topic(1)).text


class TestKeptFragments:
    """The feedback, the reason box's guidance and the ranking questions are rendered once
    by content (app.web.fragments) and reused: whatever a panelist sees of their own
    (ratings, marks, prompts) is part of what a fragment is kept under, so pages seen
    one after the other by different panelists, in another language or another round
    never show someone else's or an older one's."""

    @staticmethod
    def own_bars(page: Page) -> int:
        return len([r for r in page.all("rect") if "chart__bar--own" in r.get("class", "")])

    def test_each_panelist_sees_their_own_last_ratings(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        charts = len(round2.items) * 2
        for _ in range(2):  # the second time from kept fragments
            first = Page(enter(round2, panel[0]).page())
            assert "Your rating: 2" in first.text
            assert "Your rating: 5" not in first.text
            assert self.own_bars(first) == charts
            second = Page(enter(round2, panel[1]).page())
            assert "Your rating: 5" in second.text
            assert "Your rating: 2" not in second.text
            assert self.own_bars(second) == charts
            absent = Page(enter(round2, panel[5]).page())
            assert "Your rating" not in absent.text
            assert "You did not rate this" in absent.text
            assert self.own_bars(absent) == 0

    def test_each_panelist_reads_the_others_reasons_never_their_own(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        for n in (0, 1, 4, 0):
            text = Page(enter(round2, panel[n]).page()).text
            assert _reason(n) not in text
            assert _any_reason(text)

    def test_persuasive_marks_are_each_panelists_own(
        self, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        def marked(n: int) -> set[str]:
            page = Page(enter(round2, panel[n]).page())
            boxes = page.all("input", type="checkbox", name="persuasive")
            assert boxes
            return {b["value"] for b in boxes if "checked" in b}

        assert marked(1) == set()
        marker = enter(round2, panel[1])
        boxes = Page(marker.page()).all("input", type="checkbox", name="persuasive")
        chosen = boxes[0]["value"]
        form = {**full_form(survey, round2, 7), "persuasive": chosen}
        assert marker.post(form, "save").status_code == 303
        assert marked(1) == {chosen}
        assert marked(2) == set()
        assert marked(0) == set()
        assert marked(1) == {chosen}

    def test_a_language_switch_gives_the_other_languages_feedback(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        browser = enter(round2, panel[0])
        assert "How the panel rated this in round 1" in Page(browser.page()).text
        for language, shown, gone in (
            ("fr", "Évaluation du panel au tour 1", "How the panel rated this"),
            ("en", "How the panel rated this in round 1", "Évaluation du panel"),
        ):
            switched = browser.client.post(
                "/round/language",
                data={"language": language, "csrf_token": csrf_of(browser.topic(1))},
                follow_redirects=False,
            )
            assert switched.status_code == 303
            text = Page(browser.page()).text
            assert shown in text
            assert gone not in text
        assert "Median: 7" in text
        assert "Médiane : 7" not in text

    def test_a_new_round_shows_the_feedback_of_the_round_just_closed(
        self, db: Session, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        before = Page(enter(round2, panel[0]).page()).text
        assert "How the panel rated this in round 1" in before
        assert "Median: 7" in before
        # Median 8, spread too wide for consensus: every statement goes on to round 3.
        for n, rating in enumerate((1, 2, 8, 9, 9)):
            form = full_form(survey, round2, rating)
            form.update({f"reason-{item.statement_id}": _reason(n) for item in round2.items})
            assert enter(round2, panel[n]).post(form, "submit").status_code == 303
        rounds.close(db, survey, round2, actor="test")
        round3 = rounds.launch(db, survey, actor="test")
        after = Page(enter(round3, panel[0]).page()).text
        assert "How the panel rated this in round 2" in after
        assert "in round 1" not in after
        assert "Median: 8" in after
        assert "Median: 7" not in after
        assert "Your rating: 1" in after
        assert "Your rating: 2" not in after

    def test_each_topic_page_shows_the_feedback_of_its_own_statements(
        self, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        browser = enter(round2, panel[0])
        first = browser.topic(1)
        pages = first.count('class="steps__item"') - 1
        assert pages > 1
        for number in range(1, pages + 1):
            html = browser.topic(number)
            statements = re.findall(r'<article class="statement" id="statement-(\d+)"', html)
            assert statements
            charts = re.findall(r'<section class="feedback" aria-labelledby="fb-(\d+)"', html)
            assert charts == statements
        # Past the last page: the last page, with its feedback.
        assert browser.topic(pages + 5).count('class="feedback"') == html.count('class="feedback"')

    def test_the_reason_prompt_and_the_typed_reason_are_each_panelists_own(
        self, survey: Survey, round2: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        prompt = "Your Importance rating is outside the range"
        outlier = enter(round2, panel[0])
        form = full_form(survey, round2, 9)
        form.update({f"reason-{item.statement_id}": "Only mine." for item in round2.items})
        assert outlier.post(form, "save").status_code == 303
        inside = enter(round2, panel[1])
        assert inside.post(full_form(survey, round2, 5), "save").status_code == 303
        for _ in range(2):
            text = Page(enter(round2, panel[0]).page()).text
            assert prompt in text
            assert text.count("Only mine.") == len(round2.items)
            text = Page(enter(round2, panel[1]).page()).text
            assert prompt not in text  # in the page, hidden until a rating falls outside
            assert "Only mine." not in text
