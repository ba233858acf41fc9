"""The analyst API describes ranking criteria and carries each round's ranking figures."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api import keys
from app.models import Panelist, Survey
from app.rounds import service as rounds
from tests.app.rankings.test_service import CYBER_1, submit_order, two_ranked_rounds


@pytest.fixture
def auth(db: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create(db, name='tests')}"}


class TestRankingApi:
    def test_the_study_names_its_mode_and_each_criterion_its_kind(
        self, client: TestClient, auth: dict[str, str], ranking_survey: Survey
    ) -> None:
        [study] = client.get("/api/v1/studies", headers=auth).json()
        assert study["mode"] == "rounds"
        importance, priority = study["criteria"]
        assert (importance["kind"], importance["top"]) == ("rating", None)
        assert priority["kind"] == "rank"
        assert priority["scale"] == {"low": 1, "high": 4}  # the largest topic's positions
        assert priority["agree"] is None
        assert priority["consensus_rule"] is None

    def test_metrics_carry_the_rankings_of_both_rounds(
        self,
        db: Session,
        client: TestClient,
        auth: dict[str, str],
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
    ) -> None:
        snapshot = two_ranked_rounds(db, ranking_survey, ranking_panel)[-1]
        body = client.get("/api/v1/studies/ranking-study/rounds/2/metrics", headers=auth).json()
        cyber, wildlife = body["rankings"]
        stored = snapshot.results["rankings"][0]
        assert (cyber["topic"], wildlife["topic"]) == ("cyber", "wildlife")
        assert cyber["w"] == pytest.approx(stored["w"])
        assert [s["key"] for s in cyber["statements"]] == ["c1", "c2", "c3", "c4"]
        assert cyber["statements"][0]["distribution"] == [5, 0, 0, 1]
        assert cyber["change"]["w_change"] == pytest.approx(stored["change"]["w_change"])
        assert cyber["change"]["panelists"] == 6
        # No per-panelist figure leaves the snapshot, only the quartiles.
        assert set(cyber["change"]) == {
            "statements",
            "w_before",
            "w_after",
            "w_change",
            "panelists",
            "spearman_q1",
            "spearman_median",
            "spearman_q3",
            "spearman_mean",
        }

    def test_the_ratings_csv_carries_the_positions(
        self,
        db: Session,
        client: TestClient,
        auth: dict[str, str],
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
    ) -> None:
        round_ = rounds.launch(db, ranking_survey, actor="test")
        for panelist, order in zip(ranking_panel, CYBER_1, strict=True):
            submit_order(db, ranking_survey, round_, panelist, order)
        rounds.close(db, ranking_survey, round_, actor="test")
        db.flush()
        text = client.get("/api/v1/studies/ranking-study/rounds/1/ratings.csv", headers=auth).text
        rows = list(csv.DictReader(io.StringIO(text)))
        ranked = [r for r in rows if r["criterion"] == "priority" and r["statement"] == "c1"]
        assert sorted(int(r["rating"]) for r in ranked) == sorted(
            order.index(0) + 1 for order in CYBER_1
        )

    def test_the_rankings_table_holds_the_snapshot_figures(
        self,
        db: Session,
        client: TestClient,
        auth: dict[str, str],
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
    ) -> None:
        snapshot = two_ranked_rounds(db, ranking_survey, ranking_panel)[-1]
        base = "/api/v1/studies/ranking-study/rounds/2"
        text = client.get(f"{base}/tables/rankings.csv", headers=auth).text
        rows = list(csv.DictReader(io.StringIO(text)))
        stored = snapshot.results["rankings"]
        assert len(rows) == sum(len(q["statements"]) for q in stored)
        cyber = [r for r in rows if r["topic"] == "cyber"]
        question = stored[0]
        assert [r["statement"] for r in cyber] == ["c1", "c2", "c3", "c4"]
        assert float(cyber[0]["w"]) == pytest.approx(question["w"])
        assert float(cyber[0]["w_change"]) == pytest.approx(question["change"]["w_change"])
        assert cyber[0]["positions"] == "5 0 0 1"
        for row, item in zip(cyber, question["statements"], strict=True):
            assert float(row["mean_rank"]) == pytest.approx(item["mean_rank"])
            assert int(row["unplaced"]) == item["unplaced"]
        dictionary = client.get(f"{base}/tables/dictionary.csv", headers=auth).text
        assert "rankings,mean_rank," in dictionary
