"""The console's round report shows each ranking question."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Panelist, Survey
from tests.app.rankings.test_service import two_ranked_rounds


class TestRankingReport:
    def test_w_the_statements_by_mean_rank_and_the_stability(
        self,
        db: Session,
        signed_in: TestClient,
        ranking_survey: Survey,
        ranking_panel: list[Panelist],
    ) -> None:
        snapshot = two_ranked_rounds(db, ranking_survey, ranking_panel)[-1]
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
        snapshots = two_ranked_rounds(db, ranking_survey, ranking_panel)
        html = signed_in.get("/console/studies/ranking-study/report").text.replace("&#39;", "'")
        for number, snapshot in enumerate(snapshots, start=1):
            cyber = snapshot.results["rankings"][0]
            table = html.split(f'id="ranking-{number}-priority-cyber"', 1)[1].split("</table>")[0]
            rows = re.findall(r'<th scope="row">(c\d)</th><td class="num">([\d.]+)', table)
            by_mean = sorted(cyber["statements"], key=lambda s: s["mean_rank"])
            assert rows == [(s["key"], f"{s['mean_rank']:.2f}") for s in by_mean]
            assert f"Kendall's W {cyber['w']:.3f}" in html
        assert "Change of W since the round before" in html
