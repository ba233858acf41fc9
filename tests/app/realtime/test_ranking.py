"""A ranking question in a real-time study: ranked per topic, apart from the ratings."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import engine
from app.models import AnswerRevision, Panelist, Round, Survey
from app.rankings import form as ranking_form
from app.realtime import checkpoints, live
from app.rounds.plan import RoundPlan, plan_of
from tests.app.conftest import SavepointTransactions
from tests.app.realtime.conftest import Panelists, answer, feedback_shown


@pytest.fixture
def plan(db: Session, live_round: Round) -> RoundPlan:
    return plan_of(db, live_round.id, live_round.opened_at, live_round.number)


@pytest.fixture
def group(plan: RoundPlan) -> ranking_form.Group:
    """The first topic's ranking question (its three first places)."""
    return ranking_form.groups(plan)[0]


def ranking(group: ranking_form.Group, order: list[int]) -> dict[str, str]:
    """Positions 1.. given to the group's statements at the indices ``order``."""
    return {
        ranking_form.field(group.items[j].statement_id, group.criterion.id): str(position)
        for position, j in enumerate(order, start=1)
    }


def test_the_study_ranks_each_topics_first_three(study: Survey, group: ranking_form.Group) -> None:
    assert [c.key for c in study.rank_criteria] == ["priority"]
    assert group.places == 3
    assert len(group.items) > 3


def test_rating_feedback_counts_only_the_rating_criteria(
    study: Survey, panel: list[Panelist], panelists: Panelists, sid: int
) -> None:
    # Five rate the statement and rank nothing: the ranking does not hold its feedback back.
    for panelist in panel[:5]:
        assert panelists.post(panelist, answer(study, sid, 6)).status_code == 303
    assert feedback_shown(panelists.page(panel[0]), sid)


def test_ranking_figures_show_once_k_ranked_and_to_those_who_ranked(
    study: Survey, panel: list[Panelist], panelists: Panelists, group: ranking_form.Group
) -> None:
    k = study.min_group_size
    for i, panelist in enumerate(panel[:k]):
        assert panelists.post(panelist, ranking(group, [0, 1, 2])).status_code == 303
        shown = "So far: mean rank" in " ".join(panelists.page(panelist).split())
        assert shown == (i + 1 >= k)
    html = " ".join(panelists.page(panel[0]).split())
    assert f"So far: mean rank 1 among {k} panelists." in html
    assert "You put it at position 1." in html
    # Someone who has not ranked the topic sees none of it.
    assert "So far: mean rank" not in panelists.page(panel[k])


def test_an_improper_ranking_is_refused_and_kept_as_draft(
    panel: list[Panelist], panelists: Panelists, group: ranking_form.Group
) -> None:
    twice = {
        **ranking(group, [0, 1]),
        ranking_form.field(group.items[2].statement_id, group.criterion.id): "1",
    }
    response = panelists.post(panel[0], twice)
    assert response.status_code == 422
    assert "position 1 is given to statements" in response.text
    assert "position 3 is not given" in response.text


def test_revisions_of_a_ranking_are_kept_anonymously(
    db: Session,
    live_round: Round,
    panel: list[Panelist],
    panelists: Panelists,
    group: ranking_form.Group,
) -> None:
    panelists.post(panel[0], ranking(group, [0, 1, 2]))
    panelists.post(panel[0], ranking(group, [2, 1, 0]))
    rows = db.scalars(
        select(AnswerRevision).where(
            AnswerRevision.round_id == live_round.id,
            AnswerRevision.criterion_id == group.criterion.id,
        )
    ).all()
    first = sorted((r.statement_id, r.rating) for r in rows if not r.revised)
    revised = sorted((r.statement_id, r.rating) for r in rows if r.revised)
    ids = [item.statement_id for item in group.items[:3]]
    assert first == sorted(zip(ids, [1, 2, 3], strict=True))
    assert revised == sorted([(ids[0], 3), (ids[2], 1)])  # the second stayed at 2


def test_a_checkpoint_gives_the_rankings_as_they_stood(
    db: Session,
    study: Survey,
    panel: list[Panelist],
    panelists: Panelists,
    plan: RoundPlan,
    group: ranking_form.Group,
    transactions: SavepointTransactions,
) -> None:
    rng = np.random.default_rng(11)
    n = len(group.items)
    given = {}
    for panelist in panel[:8]:
        order = [int(j) for j in rng.permutation(n)[:3]]
        panelists.post(panelist, ranking(group, order))
        given[panelist.id] = order
    # One revises after the others: the checkpoint holds the ranking as it stands.
    given[panel[0].id] = [n - 1, 0, 1]
    panelists.post(panel[0], ranking(group, given[panel[0].id]))
    taken = checkpoints.take(transactions, study.id, actor="test")  # type: ignore[arg-type]
    question = next(q for q in taken.results["rankings"] if q["topic"] == group.topic_key)
    positions = np.full((len(given), n), np.nan)
    for row, order in enumerate(given.values()):
        for position, j in enumerate(order, start=1):
            positions[row, j] = position
    expected = engine.kendalls_w(engine.complete_rankings(positions))
    assert question["rankers"] == 8
    assert question["w"] == pytest.approx(expected.w)
    assert question["chi2"] == pytest.approx(expected.chi2)
    mean = engine.complete_rankings(positions).mean(axis=0)
    assert [s["mean_rank"] for s in question["statements"]] == pytest.approx(mean.tolist())
    # The live figures are the very same figures.
    figures = live.figures(db, plan)
    assert next(q for q in figures.rankings if q["topic"] == group.topic_key) == question
