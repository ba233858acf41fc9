"""The console's round report shows each ranking question."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Panelist, Survey
from app.rounds import service as rounds
from tests.app.rankings.test_service import CYBER_1, CYBER_2, submit_order


class TestRankingReport:
    def test_w_the_statements_by_mean_rank_and_the_stability(
        self,
        db: Session,
        signed_in: TestClient,
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
    ) -> None:
        for orders in (CYBER_1, CYBER_2):
            round_ = rounds.launch(db, ranking_survey, actor="test")
            for panelist, order in zip(ranking_panel, orders, strict=True):
                submit_order(db, ranking_survey, round_, panelist, order)
            snapshot = rounds.close(db, ranking_survey, round_, actor="test")
        db.flush()
        html = signed_in.get("/console/studies/ranking-study/rounds/2").text
        cyber = snapshot.results["rankings"][0]
        assert "Ranking: Priority – Cybercrime" in html
        assert f"Kendall's W = {cyber['w']:.3f}" in html.replace("&#39;", "'")
        assert f"median {cyber['change']['spearman_median']:.2f}" in html
        rows = re.findall(r'<th scope="row">(c\d)', html)
        by_mean = sorted(cyber["statements"], key=lambda s: s["mean_rank"])
        assert rows[:4] == [s["key"] for s in by_mean]

    def test_the_final_report_carries_every_rounds_rankings(
        self,
        db: Session,
        signed_in: TestClient,
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
    ) -> None:
        snapshots = []
        for orders in (CYBER_1, CYBER_2):
            round_ = rounds.launch(db, ranking_survey, actor="test")
            for panelist, order in zip(ranking_panel, orders, strict=True):
                submit_order(db, ranking_survey, round_, panelist, order)
            snapshots.append(rounds.close(db, ranking_survey, round_, actor="test"))
        db.flush()
        html = signed_in.get("/console/studies/ranking-study/report").text.replace("&#39;", "'")
        for number, snapshot in enumerate(snapshots, start=1):
            cyber = snapshot.results["rankings"][0]
            table = html.split(f'id="ranking-{number}-priority-cyber"', 1)[1].split("</table>")[0]
            rows = re.findall(r'<th scope="row">(c\d)</th><td class="num">([\d.]+)', table)
            by_mean = sorted(cyber["statements"], key=lambda s: s["mean_rank"])
            assert rows == [(s["key"], f"{s['mean_rank']:.2f}") for s in by_mean]
            assert f"Kendall's W {cyber['w']:.3f}" in html
        assert "Change of W since the round before" in html
