"""Ranking questions: the study file, the snapshot's figures against the engine, scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet
from app.errors import Invalid
from app.models import Panelist, Round, RoundSnapshot, Survey
from app.panel import respondents
from app.rounds import service as rounds
from app.studies import service as studies
from tests.app.rankings.conftest import RANKING_STUDY

# Six panelists' orders of the cyber topic (statement index per place) in two rounds.
CYBER_1 = [[0, 1, 2, 3], [1, 0, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0], [0, 1, 3, 2], [2, 0, 1, 3]]
CYBER_2 = [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [2, 3, 1, 0], [0, 1, 2, 3], [0, 2, 1, 3]]


def submit_order(
    db: Session, survey: Survey, round_: Round, panelist: Panelist, cyber: list[int]
) -> None:
    """Submit importance 3 everywhere, ``cyber`` as the order of the cyber topic and the
    wildlife topic in page order."""
    respondent = respondents.find_or_create(db, panelist)
    items = [i.statement_id for i in round_.items]
    rank = survey.rank_criteria[0]
    rating = survey.criteria[0]
    ratings: dict[tuple[int, int], int | None] = {(sid, rating.id): 3 for sid in items}
    for place, index in enumerate(cyber, start=1):
        ratings[(items[index], rank.id)] = place
    for place, sid in enumerate(items[4:], start=1):
        ratings[(sid, rank.id)] = place
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    answers_store.submit(
        db, round_.id, respondent.id, layout, AnswerSheet(ratings=ratings), language="en"
    )
    db.flush()


def two_ranked_rounds(db: Session, survey: Survey, panel: list[Panelist]) -> list[RoundSnapshot]:
    """Rounds 1 and 2 ranked in the orders ``CYBER_1`` and ``CYBER_2``, each closed."""
    snapshots = []
    for orders in (CYBER_1, CYBER_2):
        round_ = rounds.launch(db, survey, actor="test")
        for panelist, order in zip(panel, orders, strict=True):
            submit_order(db, survey, round_, panelist, order)
        snapshots.append(rounds.close(db, survey, round_, actor="test"))
    db.flush()
    return snapshots


def positions(orders: list[list[int]]) -> np.ndarray:
    """(panelists x statements) positions from orders."""
    out = np.zeros((len(orders), len(orders[0])))
    for row, order in enumerate(orders):
        out[row, order] = np.arange(1, len(order) + 1)
    return out


class TestStudyFile:
    def test_a_rank_criterion_is_imported_after_the_ratings(self, ranking_survey: Survey) -> None:
        assert [c.key for c in ranking_survey.criteria] == ["importance"]
        [rank] = ranking_survey.rank_criteria
        assert (rank.key, rank.kind.value, rank.rank_top) == ("priority", "rank", None)
        assert [c.key for c in ranking_survey.answer_criteria] == ["importance", "priority"]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (("kind: rank\n", "kind: rank\n    scale: {low: 1, high: 4}\n"), "takes no scale"),
            (("kind: rank\n", "kind: rank\n    top: 4\n"), "leave top out"),
            (("high: 5}\n", "high: 5}\n    top: 2\n"), "top is for kind: rank"),
            (("      - {key: w2", "      # - {key: w2"), None),
            (("kind: rank\n", "kind: order\n"), "kind"),
        ],
        ids=["scale", "top-too-large", "top-on-rating", "one-statement", "unknown-kind"],
    )
    def test_bad_rankings_are_refused_at_import(
        self, db: Session, change: tuple[str, str], message: str | None
    ) -> None:
        text = RANKING_STUDY.replace(*change)
        if message is None:  # two changes: wildlife keeps one statement
            text = text.replace("      - {key: w3", "      # - {key: w3")
            message = "has only one"
        with pytest.raises(Invalid, match=message):
            studies.parse(text)


class TestSnapshot:
    @pytest.fixture
    def closed(
        self, db: Session, ranking_survey: Survey, ranking_panel: list[Panelist]
    ) -> tuple[RoundSnapshot, RoundSnapshot]:
        first = rounds.launch(db, ranking_survey, actor="test")
        for panelist, order in zip(ranking_panel, CYBER_1, strict=True):
            submit_order(db, ranking_survey, first, panelist, order)
        one = rounds.close(db, ranking_survey, first, actor="test")
        second = rounds.launch(db, ranking_survey, actor="test")
        for panelist, order in zip(ranking_panel, CYBER_2, strict=True):
            submit_order(db, ranking_survey, second, panelist, order)
        two = rounds.close(db, ranking_survey, second, actor="test")
        return one, two

    def test_w_chi2_and_p_equal_friedman(self, closed: tuple[RoundSnapshot, RoundSnapshot]) -> None:
        [cyber, wildlife] = closed[0].results["rankings"]
        assert (cyber["criterion"], cyber["topic"], cyber["rankers"]) == ("priority", "cyber", 6)
        x = positions(CYBER_1)
        chi2, p = stats.friedmanchisquare(*x.T)
        assert cyber["chi2"] == pytest.approx(chi2)
        assert cyber["p"] == pytest.approx(p)
        assert cyber["w"] == pytest.approx(chi2 / (6 * 3))
        # Everyone ranked the wildlife topic alike: perfect concordance.
        assert wildlife["w"] == pytest.approx(1.0)

    def test_mean_rank_and_distribution_per_statement(
        self, closed: tuple[RoundSnapshot, RoundSnapshot]
    ) -> None:
        cyber = closed[0].results["rankings"][0]
        x = positions(CYBER_1)
        assert [s["mean_rank"] for s in cyber["statements"]] == pytest.approx(x.mean(axis=0))
        for j, entry in enumerate(cyber["statements"]):
            expected = [int((x[:, j] == p).sum()) for p in range(1, 5)]
            assert entry["distribution"] == expected
            assert entry["unplaced"] == 0

    def test_change_of_w_and_stability_equal_scipy(
        self, closed: tuple[RoundSnapshot, RoundSnapshot]
    ) -> None:
        first = closed[0].results["rankings"][0]
        change = closed[1].results["rankings"][0]["change"]
        assert closed[0].results["rankings"][0]["change"] is None
        second_w = closed[1].results["rankings"][0]["w"]
        assert change["w_change"] == pytest.approx(second_w - first["w"])
        rho = [
            stats.spearmanr(a, b).statistic
            for a, b in zip(positions(CYBER_1), positions(CYBER_2), strict=True)
        ]
        assert change["panelists"] == 6
        assert change["spearman_median"] == pytest.approx(np.median(rho))
        assert change["spearman_q1"] == pytest.approx(np.quantile(rho, 0.25))
        assert change["spearman_mean"] == pytest.approx(np.mean(rho))

    def test_rankings_do_not_enter_the_rating_figures(
        self, closed: tuple[RoundSnapshot, RoundSnapshot]
    ) -> None:
        entry = closed[0].results["statements"][0]
        assert list(entry["criteria"]) == ["importance"]
        assert entry["criteria"]["importance"]["n"] == 6


class TestTopN:
    def test_unplaced_statements_are_counted(self, db: Session, top_survey: Survey) -> None:
        panel = [
            Panelist(
                survey_id=top_survey.id,
                email=f"t{i}@example.org",
                name=f"T{i}",
                stakeholder_group="ngo",
                language="en",
            )
            for i in range(3)
        ]
        db.add_all(panel)
        db.flush()
        round_ = rounds.launch(db, top_survey, actor="test")
        items = [i.statement_id for i in round_.items]
        rank = top_survey.rank_criteria[0]
        layout = answers_store.layout_of(round_, top_survey.answer_criteria)
        tops = [(0, 1), (1, 0), (0, 2)]
        for panelist, (a, b) in zip(panel, tops, strict=True):
            ratings: dict[tuple[int, int], int | None] = {
                (sid, top_survey.criteria[0].id): 3 for sid in items
            }
            ratings[(items[a], rank.id)] = 1
            ratings[(items[b], rank.id)] = 2
            ratings[(items[4], rank.id)] = 1
            ratings[(items[5], rank.id)] = 2
            respondent = respondents.find_or_create(db, panelist)
            answers_store.submit(
                db, round_.id, respondent.id, layout, AnswerSheet(ratings=ratings), language="en"
            )
        snapshot = rounds.close(db, top_survey, round_, actor="test")
        cyber = snapshot.results["rankings"][0]
        assert (cyber["top"], cyber["places"]) == (2, 2)
        assert [s["distribution"] for s in cyber["statements"]] == [[2, 1], [1, 1], [0, 1], [0, 0]]
        assert [s["unplaced"] for s in cyber["statements"]] == [0, 1, 2, 3]
        # Unplaced statements share the places below: (3 + 4) / 2.
        assert cyber["statements"][3]["mean_rank"] == pytest.approx(3.5)


class TestNobodyRanked:
    def test_a_round_without_submissions_has_no_rankers(
        self, db: Session, ranking_survey: Survey, ranking_panel: list[Panelist]
    ) -> None:
        round_ = rounds.launch(db, ranking_survey, actor="test")
        snapshot = rounds.close(db, ranking_survey, round_, actor="test")
        cyber = snapshot.results["rankings"][0]
        assert (cyber["rankers"], cyber["w"], cyber["change"]) == (0, None, None)
        assert [s["distribution"] for s in cyber["statements"]] == [[0, 0, 0, 0]] * 4
