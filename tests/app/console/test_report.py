"""The round pages: progress of an open round, the report of a closed one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Panelist, Round, Submission, Survey
from app.panel import respondents
from app.rounds import service as rounds

CONSENSUS_STATEMENT = "cyber-01"


def _statement(html: str, key: str) -> str:
    match = re.search(rf'<article[^>]*data-statement="{key}".*?</article>', html, re.S)
    assert match, f"no statement {key} in the report"
    return match.group(0)


def _group_rows(html: str, group: str) -> list[str]:
    return re.findall(rf'<tr data-group="{group}">(.*?)</tr>', html, re.S)


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def _ratings(panelist: Panelist, statement: str, criterion: str) -> int:
    """Academics rate importance 9; the rest agree on cyber-01 only; feasibility splits groups."""
    if criterion == "feasibility":
        return 4 if panelist.stakeholder_group == "member-state" else 3
    if panelist.stakeholder_group == "academia":
        return 9
    return 8 if statement == CONSENSUS_STATEMENT else 5


@pytest.fixture
def closed_round(
    db: Session,
    survey: Survey,
    make_panel: Callable[..., list[Panelist]],
    submit: Callable[..., None],
) -> tuple[Round, list[Panelist]]:
    # Two small groups, both suppressed on their own account; together they are five
    # raters, so subtraction reveals no fewer than k and the two large groups are shown
    # and their divergence can be tested.
    panel = make_panel({"member-state": 6, "ngo": 6, "academia": 3, "institute": 2})
    round_ = rounds.launch(db, survey, actor="test")
    submit(round_, panel, _ratings)
    rounds.close(db, survey, round_, actor="test")
    return round_, panel


class TestOpenRoundProgress:
    def test_shows_response_rate_with_started_and_submitted(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., list[Panelist]],
        submit: Callable[..., None],
    ) -> None:
        panel = make_panel({"ngo": 4})
        round_ = rounds.launch(db, survey, actor="test")
        submit(round_, panel[:1], _ratings)
        draft_only = respondents.find_or_create(db, panel[1])
        db.add(Submission(round_id=round_.id, respondent_id=draft_only.id))
        db.flush()

        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1")

        figures = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page.text))
        assert figures["Response rate"] == "25%"
        assert figures["Invited"] == "4"
        assert figures["Started"] == "2"
        assert figures["Submitted"] == "1"


class TestRoundReport:
    def test_summarises_outcomes_and_the_rule_used(
        self, signed_in: TestClient, survey: Survey, closed_round: tuple[Round, Any]
    ) -> None:
        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text

        assert "17 of 17 panelists submitted" in page
        assert re.search(r"<strong>1</strong>\s*reached consensus", page)
        assert re.search(r"<strong>26</strong>\s*carried forward to round 2", page)
        assert "median &gt;= 7 and agree &gt;= 0.7 and disagree &lt; 0.15" in page
        assert "Engine version" in page
        assert "weibull" in page

    def test_marks_consensus_and_carried_statements(
        self, signed_in: TestClient, survey: Survey, closed_round: tuple[Round, Any]
    ) -> None:
        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text

        agreed = _statement(page, CONSENSUS_STATEMENT)
        assert "Consensus reached" in agreed
        carried = _statement(page, "cyber-02")
        assert "Carried forward to round 2" in carried
        assert 'data-outcome="carried"' in carried

    def test_shows_the_key_figures_per_criterion(
        self, signed_in: TestClient, survey: Survey, closed_round: tuple[Round, Any]
    ) -> None:
        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text

        row = re.search(
            r'<tr data-criterion="importance">(.*?)</tr>',
            _statement(page, CONSENSUS_STATEMENT),
            re.S,
        )
        assert row
        n, median, iqr, agree, disagree, tw, _di, cannot_judge, _p, met = _cells(row.group(1))
        assert (n, median, agree, disagree, cannot_judge, met) == (
            "17",
            "8.0",
            "100%",
            "0%",
            "0",
            "yes",
        )
        assert iqr.startswith("0.")
        assert float(tw) > 0.8
        feasibility = re.search(
            r'<tr data-criterion="feasibility">(.*?)</tr>',
            _statement(page, CONSENSUS_STATEMENT),
            re.S,
        )
        assert feasibility
        assert float(_cells(feasibility.group(1))[8]) < 0.01

    def test_suppressed_groups_never_show_a_figure(
        self, signed_in: TestClient, survey: Survey, closed_round: tuple[Round, Any]
    ) -> None:
        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text

        academia = _group_rows(page, "academia")
        assert len(academia) == 27 * 2
        for row in academia:
            assert "suppressed on this statement (fewer than 5 raters" in row
            figures = row.replace("fewer than 5 raters", "")
            assert not re.search(r"\d", re.sub(r"<[^>]+>", "", figures))
        for row in _group_rows(page, "ngo"):
            assert "suppressed" not in row
            assert _cells(row)[0] == "6"

    def test_a_group_is_suppressed_only_where_too_few_rated(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., list[Panelist]],
        submit: Callable[..., None],
    ) -> None:
        panel = make_panel({"member-state": 6, "ngo": 6, "academia": 3, "institute": 2})
        unable = set(sorted(p.email for p in panel if p.stakeholder_group == "ngo")[:2])

        def ratings(panelist: Panelist, statement: str, criterion: str) -> int | None:
            if statement == "cyber-02" and panelist.email in unable:
                return None  # cannot judge: four ngo raters are left on cyber-02
            return _ratings(panelist, statement, criterion)

        round_ = rounds.launch(db, survey, actor="test")
        submit(round_, panel, ratings)
        rounds.close(db, survey, round_, actor="test")
        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text

        def ngo_importance(statement: str) -> str:
            return _group_rows(_statement(page, statement), "ngo")[0]

        assert "suppressed" in ngo_importance("cyber-02")
        assert _cells(ngo_importance(CONSENSUS_STATEMENT))[0] == "6"
        # member-state stays: the hidden ngo, academia and institute raters are nine
        assert "suppressed" not in _group_rows(_statement(page, "cyber-02"), "member-state")[0]

    def test_never_names_a_panelist(
        self,
        signed_in: TestClient,
        survey: Survey,
        closed_round: tuple[Round, list[Panelist]],
    ) -> None:
        _, panel = closed_round
        pages = [
            signed_in.get(f"/console/studies/{survey.key}/rounds/1").text,
            signed_in.get(f"/console/studies/{survey.key}").text,
        ]

        for page in pages:
            for panelist in panel:
                assert panelist.email not in page
                assert panelist.name not in page


class TestSecondRoundReport:
    def test_shows_the_change_and_stable_dissent(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        closed_round: tuple[Round, list[Panelist]],
        submit: Callable[..., None],
    ) -> None:
        _, panel = closed_round
        second = rounds.launch(db, survey, actor="test")
        submit(second, panel, _ratings)
        rounds.close(db, survey, second, actor="test")

        page = signed_in.get(f"/console/studies/{survey.key}/rounds/2").text

        assert "Round 2 report" in page
        assert f'data-statement="{CONSENSUS_STATEMENT}"' not in page
        unmoved = _statement(page, "cyber-02")
        assert "Since round 1:" in unmoved
        assert "0% of 17 panelists changed their rating" in unmoved
        assert "Stable dissent" in unmoved
        assert re.search(r"<strong>26</strong>\s*stable dissent", page)
