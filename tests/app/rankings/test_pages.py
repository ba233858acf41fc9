"""The ranking question on the questionnaire, without JavaScript: a position select per
statement, a proper ranking required to submit, and last round's ranking as feedback."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from app.models import Panelist, Round, Survey
from app.rounds import service as rounds
from tests.app.participation.conftest import (
    Browser,
    Page,
    draft_ratings,
    full_form,
    submitted_ratings,
)


def rank_form(survey: Survey, round_: Round, cyber: list[int]) -> dict[str, str]:
    """Importance 3 everywhere; ``cyber`` the positions of the cyber statements in page
    order, the wildlife statements in page order."""
    rank = survey.rank_criteria[0]
    items = [i.statement_id for i in round_.items]
    form = full_form(survey, round_, 3)
    for sid, position in zip(items[:4], cyber, strict=True):
        form[f"rank-{sid}-{rank.id}"] = "" if position == 0 else str(position)
    for position, sid in enumerate(items[4:], start=1):
        form[f"rank-{sid}-{rank.id}"] = str(position)
    return form


@pytest.fixture
def round1(db: Session, ranking_survey: Survey, ranking_panel: list[Panelist]) -> Round:
    return rounds.launch(db, ranking_survey, actor="test")


@pytest.fixture
def browser(
    enter: Callable[[Round, Panelist], Browser], round1: Round, ranking_panel: list[Panelist]
) -> Browser:
    return enter(round1, ranking_panel[0])


class TestRankingForm:
    def test_a_position_select_per_statement_and_topic(
        self, browser: Browser, ranking_survey: Survey, round1: Round
    ) -> None:
        page = Page(browser.page())
        rank = ranking_survey.rank_criteria[0]
        selects = page.all("select")
        assert [s["name"] for s in selects] == [
            f"rank-{i.statement_id}-{rank.id}" for i in round1.items
        ]
        labelled = {label["for"] for label in page.all("label")}
        assert all(s["id"] in labelled for s in selects)
        # One fieldset per topic, its hint linked; the list lives beside a live region.
        rankings = [f for f in page.all("fieldset") if f.get("id", "").startswith("ranking-")]
        assert len(rankings) == 2
        assert all(t in page.ids for f in rankings for t in f["aria-describedby"].split())
        assert len(page.all("p", **{"aria-live": "polite"})) == 2
        assert "Order the strategies of this topic by priority." in page.text
        positions = [o["value"] for o in page.all("option")]
        assert positions[:5] == ["", "1", "2", "3", "4"]  # cyber: four statements
        assert page.all("script", src="/static/ranking.js")

    def test_a_proper_ranking_is_submitted(
        self, db: Session, browser: Browser, ranking_survey: Survey, round1: Round
    ) -> None:
        response = browser.post(rank_form(ranking_survey, round1, [2, 1, 4, 3]), "submit")
        assert response.status_code == 303, response.text
        rank = ranking_survey.rank_criteria[0]
        cells = submitted_ratings(db, round1)
        assert [cells[(i.statement_id, rank.id)] for i in round1.items] == [2, 1, 4, 3, 1, 2, 3]
        html = browser.page()
        assert '<option value="4" selected>' in html

    @pytest.mark.parametrize(
        ("cyber", "message"),
        [
            (
                [1, 1, 3, 4],
                "Priority, Cybercrime: position 1 is given to statements 1, 2; position 2 is "
                "not given. Give each position from 1 to 4 to one statement.",
            ),
            (
                [1, 2, 0, 0],
                "Priority, Cybercrime: positions 3, 4 are not given.",
            ),
            (
                [4, 4, 4, 0],
                "position 4 is given to statements 1, 2, 3; positions 1, 2, 3 are not given",
            ),
        ],
        ids=["duplicate", "gaps", "both"],
    )
    def test_an_improper_ranking_is_refused_and_kept(
        self,
        db: Session,
        browser: Browser,
        ranking_survey: Survey,
        round1: Round,
        cyber: list[int],
        message: str,
    ) -> None:
        response = browser.post(rank_form(ranking_survey, round1, cyber), "submit")
        assert response.status_code == 422
        page = Page(response.text)
        assert message in page.text
        rank = ranking_survey.rank_criteria[0]
        first = f"rank-{round1.items[0].statement_id}-{rank.id}"
        # The error summary links to the ranking (on its topic's page).
        assert re.search(rf'href="[^"]*\btopic=1\b[^"]*#{first}"', response.text)
        assert not submitted_ratings(db, round1)
        draft = draft_ratings(db, round1)
        given = [draft.get((i.statement_id, rank.id)) for i in round1.items[:4]]
        assert given == [p or None for p in cyber]
        # The topic's page, reached from the summary's link, shows the ranking as posted.
        topic = browser.client.get("/round?topic=1&check=1").text
        for item, position in zip(round1.items[:4], cyber, strict=True):
            name = f"rank-{item.statement_id}-{rank.id}"
            select = re.search(rf'<select[^>]*name="{name}".*?</select>', topic, re.S)
            assert select
            chosen = re.findall(r'<option value="(\d*)" selected>', select[0])
            assert chosen == ([str(position)] if position else [])

    def test_a_draft_may_be_a_partial_ranking(
        self, db: Session, browser: Browser, ranking_survey: Survey, round1: Round
    ) -> None:
        response = browser.post(rank_form(ranking_survey, round1, [1, 0, 0, 0]), "save")
        assert response.status_code == 303

    @pytest.mark.parametrize("value", ["5", "0", "first", "-1"])
    def test_a_position_the_list_does_not_offer_stores_nothing(
        self, db: Session, browser: Browser, ranking_survey: Survey, round1: Round, value: str
    ) -> None:
        form = rank_form(ranking_survey, round1, [1, 2, 3, 4])
        form[f"rank-{round1.items[0].statement_id}-{ranking_survey.rank_criteria[0].id}"] = value
        response = browser.post(form, "save")
        assert response.status_code == 422
        assert "is not a position from 1 to 4" in response.text
        assert not draft_ratings(db, round1)

    def test_a_ranking_field_of_a_rating_criterion_stores_nothing(
        self, db: Session, browser: Browser, ranking_survey: Survey, round1: Round
    ) -> None:
        form = rank_form(ranking_survey, round1, [1, 2, 3, 4])
        form[f"rank-{round1.items[0].statement_id}-{ranking_survey.criteria[0].id}"] = "1"
        response = browser.post(form, "save")
        assert response.status_code == 422
        assert "no such ranking" in response.text


class TestRankingFeedback:
    def test_round_two_shows_mean_rank_distribution_and_own_position(
        self,
        db: Session,
        enter: Callable[[Round, Panelist], Browser],
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
        round1: Round,
    ) -> None:
        orders = [[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4], [1, 2, 4, 3]]
        for panelist, cyber in zip(ranking_panel[:4], orders, strict=True):
            response = enter(round1, panelist).post(
                rank_form(ranking_survey, round1, cyber), "submit"
            )
            assert response.status_code == 303
        rounds.close(db, ranking_survey, round1, actor="test")
        round2 = rounds.launch(db, ranking_survey, actor="test")
        text = Page(enter(round2, ranking_panel[1]).page()).text
        # Statement 1: positions 1, 2, 1, 1 -> mean 1.25; this panelist put it second.
        assert "Round 1: mean rank 1.25 among 4 panelists. You put it at position 2." in text
        assert "Panelists per position in round 1 1 2 3 4 3 1 0 0" in text

    def test_fewer_than_k_rankers_show_no_figures(
        self,
        db: Session,
        enter: Callable[[Round, Panelist], Browser],
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
        round1: Round,
    ) -> None:
        for panelist in ranking_panel[:2]:  # k is 3
            enter(round1, panelist).post(rank_form(ranking_survey, round1, [1, 2, 3, 4]), "submit")
        rounds.close(db, ranking_survey, round1, actor="test")
        round2 = rounds.launch(db, ranking_survey, actor="test")
        html = enter(round2, ranking_panel[0]).page()
        assert "mean rank" not in html
        assert "Panelists per position" not in html


class TestBlankRanking:
    def test_a_wholly_empty_ranking_is_no_answer_like_cannot_judge(
        self, db: Session, browser: Browser, ranking_survey: Survey, round1: Round
    ) -> None:
        form = rank_form(ranking_survey, round1, [0, 0, 0, 0])
        response = browser.post(form, "submit")
        assert response.status_code == 303, response.text
        rank = ranking_survey.rank_criteria[0]
        cells = submitted_ratings(db, round1)
        assert [cells.get((i.statement_id, rank.id)) for i in round1.items[:4]] == [None] * 4
