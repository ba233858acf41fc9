"""The charts of a closed round's report: drawn by the final report's chart code, each
with its text table, the heatmap suppressing what the tables suppress; no script."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Round, Survey
from app.rounds import service as rounds
from app.web.templating import TEMPLATES_DIR
from tests.app.console.test_report import closed_round  # noqa: F401


def _charts(page: str) -> str:
    match = re.search(r'<section[^>]*id="round-charts".*?</section>', page, re.S)
    assert match, "no charts on the round page"
    return match.group(0)


def _figure(html: str, id_: str) -> str:
    match = re.search(rf'<figure class="figure" id="{re.escape(id_)}">.*?</figure>', html, re.S)
    assert match, f"no figure {id_}"
    return match.group(0)


def _rows(figure: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", figure, re.S)
    assert body
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


class TestRoundCharts:
    def test_every_statement_and_criterion_has_its_distribution_with_a_table(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
    ) -> None:
        round_, _ = closed_round
        charts = _charts(signed_in.get(f"/console/studies/{survey.key}/rounds/1").text)

        for item in round_.items:
            for criterion in survey.criteria:
                figure = _figure(charts, f"round-dist-{item.statement.key}-{criterion.key}")
                assert '<svg class="chart"' in figure
                assert 'aria-hidden="true"' in figure
                rows = _rows(figure)
                assert [r[0] for r in rows] == [
                    str(p) for p in range(criterion.scale_low, criterion.scale_high + 1)
                ]
                assert sum(int(r[1]) for r in rows) == 17
        importance = _rows(_figure(charts, "round-dist-cyber-01-importance"))
        # academia (3) rates 9, the other fourteen 8 on cyber-01
        assert (importance[7][1], importance[8][1]) == ("14", "3")

    def test_the_map_shows_every_statement_at_its_medians(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
    ) -> None:
        round_, _ = closed_round
        figure = _figure(
            _charts(signed_in.get(f"/console/studies/{survey.key}/rounds/1").text),
            "round-pair-map",
        )
        rows = _rows(figure)

        assert len(rows) == len(round_.items)
        verdicts = {r[1]: r[-1] for r in rows}
        assert verdicts["cyber-01"] == "consensus"
        assert verdicts["cyber-02"] == "no consensus"
        assert rows[0][2].startswith("8")  # cyber-01: importance median 8

    def test_the_heatmap_suppresses_the_small_groups(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
    ) -> None:
        charts = _charts(signed_in.get(f"/console/studies/{survey.key}/rounds/1").text)
        figure = _figure(charts, "round-heatmap-importance")
        header = re.findall(r'<th scope="col">(.*?)</th>', figure)
        academia = next(
            i for i, h in enumerate(header) if h.startswith(survey.group_label("academia"))
        )
        ngo = next(i for i, h in enumerate(header) if h.startswith(survey.group_label("ngo")))

        for row in _rows(figure):
            assert row[academia] == "suppressed (fewer than 5)"
            assert re.fullmatch(r"[\d.]+ / \d+%", row[ngo])
        assert 'fill="url(#hatch)"' in figure

    def test_no_script_and_no_inline_style(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
    ) -> None:
        charts = _charts(signed_in.get(f"/console/studies/{survey.key}/rounds/1").text)

        assert "<script" not in charts
        assert "style=" not in charts
        assert "<style" not in charts

    def test_an_open_round_has_no_charts(
        self, signed_in: TestClient, survey: Survey, db: Session, make_panel: Any
    ) -> None:
        make_panel({"member-state": 6})
        rounds.launch(db, survey, actor="test")

        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text

        assert 'id="round-charts"' not in page


class TestTranslated:
    def test_the_charts_read_in_the_browser_language(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
    ) -> None:
        page = signed_in.get(
            f"/console/studies/{survey.key}/rounds/1", headers={"Accept-Language": "fr"}
        ).text
        charts = _charts(page)

        assert "Graphiques du tour 1" in charts
        assert "Tableau de ce graphique" in charts
        assert "masqué (moins de 5)" in charts
        assert "pas de consensus" in charts
        # drawn in French too: the map's quadrants inside the SVG, not only its table
        assert "élevé, " in charts
        assert "high " not in charts

    def test_the_round_report_writes_numbers_as_the_language_does(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
    ) -> None:
        url = f"/console/studies/{survey.key}/rounds/1"
        french = signed_in.get(url, headers={"Accept-Language": "fr"}).text
        english = signed_in.get(url).text

        # the response rate, the medians of the statements' table and of the charts' tables
        assert re.search(r"\b\d+\xa0%", french)
        assert not re.search(r"\b\d+%", french)
        assert re.search(r">\d,\d<", french)
        assert not re.search(r">\d\.\d<", french)
        assert re.search(r"\b\d+%", english)
        assert re.search(r">\d\.\d<", english)
        # the SVG geometry stays machine numbers
        assert not re.search(r' (?:x|y|width|height)="[\d.]*,', french)


class TestBackLinks:
    """A back link's arrow is the stylesheet's, pointing the way the page reads."""

    @pytest.mark.parametrize(("accept", "direction"), [("en", "ltr"), ("ar", "rtl")])
    def test_the_arrow_is_not_in_the_text(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, Any],  # noqa: F811
        accept: str,
        direction: str,
    ) -> None:
        page = signed_in.get(
            f"/console/studies/{survey.key}/rounds/1", headers={"Accept-Language": accept}
        ).text

        assert f'dir="{direction}"' in page
        assert f'<a class="back" href="/console/studies/{survey.key}">' in page
        assert "←" not in page
        assert "→ " not in page

    def test_the_stylesheet_turns_the_arrow_right_to_left_and_keeps_it_silent(self) -> None:
        css = (TEMPLATES_DIR.parent / "static" / "site.css").read_text()
        assert 'a.back::before { content: "← "; content: "← " / ""; }' in css
        assert '[dir="rtl"] a.back::before { content: "→ "; content: "→ " / ""; }' in css
