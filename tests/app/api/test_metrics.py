"""A closed round's metrics: the engine's figures on exactly the submitted ratings."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine

STUDY = "crime-prevention-2027"
# private-sector is below k = 5; where everyone else rated a statement, institute is the
# smallest group left and is suppressed too (otherwise panel minus the published groups
# would reveal private-sector); where a "cannot judge" takes a group below k, it changes.
PANEL = {"member-state": 8, "ngo": 6, "academia": 6, "private-sector": 2, "institute": 5}


def assert_same_figures(record: dict, summary: engine.Summary, j: int, *, cannot_judge=True):
    """Every field of the engine's record for statement ``j`` equals the API's."""
    expected = summary.records()[j]
    names = [*engine.Summary.metric_names(), "counts"] + (["cannot_judge"] if cannot_judge else [])
    for name in names:
        want, got = expected[name], record[name]
        if isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), name
        else:
            assert got == want, name


def metrics(client, auth, number: int) -> dict:
    response = client.get(f"/api/v1/studies/{STUDY}/rounds/{number}/metrics", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def closed_round(study):
    study.panel(PANEL)
    round_ = study.launch()
    answers = study.answer(round_, seed=7)
    study.close(round_)
    return answers


class TestRoundMetrics:
    def test_every_figure_equals_the_engine_on_the_submitted_ratings(
        self, client, auth, survey, closed_round
    ):
        body = metrics(client, auth, 1)

        assert body["round"] == 1
        assert body["engine_version"] == engine.__version__
        assert (body["invited"], body["responded"]) == (27, 27)
        statements = body["statements"]
        assert [s["key"] for s in statements] == [
            item.statement.key for item in closed_round.round.items
        ]
        for criterion in survey.criteria:
            expected = closed_round.expected(survey, criterion)
            for j, statement in enumerate(statements):
                assert_same_figures(statement["criteria"][criterion.key], expected, j)

    def test_consensus_follows_the_study_rule(self, client, auth, survey, closed_round):
        body = metrics(client, auth, 1)

        importance = next(c for c in survey.criteria if c.key == "importance")
        rule = engine.ConsensusRule.from_dict(importance.consensus_rule)
        passed = engine.evaluate(closed_round.expected(survey, importance), rule)
        reported = [s["criteria"]["importance"] for s in body["statements"]]
        assert [r["consensus"] for r in reported] == passed.tolist()
        assert [s["consensus"] for s in body["statements"]] == passed.tolist()
        assert any(passed)
        assert not all(passed)
        assert reported[0]["rule"]["text"] == str(rule)
        assert reported[0]["rule"]["definition"] == importance.consensus_rule
        assert {s["outcome"] for s in body["statements"]} == {"consensus", "carried"}
        # feasibility has no rule in the study
        assert body["statements"][0]["criteria"]["feasibility"]["consensus"] is None
        assert body["statements"][0]["criteria"]["feasibility"]["rule"] is None

    def test_statements_carry_topic_and_default_language_text(self, client, auth, closed_round):
        first = metrics(client, auth, 1)["statements"][0]

        assert first["key"] == "cyber-01"
        assert first["topic"] == "cybercrime"
        assert first["text"].startswith("Each member state designates a 24/7 point of contact")

    def test_the_method_settings_are_stated(self, client, auth, closed_round):
        method = metrics(client, auth, 1)["method"]

        assert method["quantile_method"] == "weibull"
        assert method["cannot_judge_counts"] is False
        assert method["min_group_size"] == 5
        assert [c["key"] for c in method["criteria"]] == ["importance", "feasibility"]
        assert method["criteria"][0]["scale"] == {"low": 1, "high": 9}
        assert method["criteria"][1]["rule"] is None


def expected_shown(answers, criterion) -> dict[str, np.ndarray]:
    """Which statements each group may be shown on: the engine's rule on rater counts."""
    matrix, _ = answers.matrix(criterion)
    groups = np.asarray(list(answers.groups.values()))
    labels = sorted(PANEL)
    raters = np.array([(~np.isnan(matrix[groups == g])).sum(axis=0) for g in labels])
    shown = engine.shown_cells(raters, min_size=5)
    return {g: shown[i] for i, g in enumerate(labels)}


class TestGroupBreakdown:
    def test_groups_are_suppressed_cell_by_cell(self, client, auth, survey, closed_round):
        statements = metrics(client, auth, 1)["statements"]

        for criterion in survey.criteria:
            shown = expected_shown(closed_round, criterion)
            assert not shown["private-sector"].any()
            for group, expected in shown.items():
                got = [
                    s["criteria"][criterion.key]["groups"][group] != {"suppressed": True}
                    for s in statements
                ]
                assert got == expected.tolist(), (criterion.key, group)
        # the seed gives institute both fates: hidden as private-sector's complement
        # where all rated, shown where a cannot-judge elsewhere already hides enough
        importance = expected_shown(closed_round, survey.criteria[0])["institute"]
        assert importance.any()
        assert not importance.all()

    def test_published_groups_equal_the_engine_on_their_rows(
        self, client, auth, survey, closed_round
    ):
        body = metrics(client, auth, 1)

        for criterion in survey.criteria:
            matrix, _ = closed_round.matrix(criterion)
            groups = np.asarray(list(closed_round.groups.values()))
            for group, shown in expected_shown(closed_round, criterion).items():
                expected = engine.summarize(
                    matrix[groups == group],
                    engine.Scale(criterion.scale_low, criterion.scale_high),
                    agree=(criterion.agree_low, criterion.agree_high),
                    disagree=(criterion.disagree_low, criterion.disagree_high),
                )
                for j, statement in enumerate(body["statements"]):
                    record = statement["criteria"][criterion.key]["groups"][group]
                    if not shown[j]:
                        continue
                    assert record["suppressed"] is False
                    assert record["n"] >= 5
                    assert_same_figures(record, expected, j, cannot_judge=False)

    def test_divergence_between_groups_is_a_kruskal_wallis_test(self, client, auth, closed_round):
        for statement in metrics(client, auth, 1)["statements"]:
            divergence = statement["criteria"]["importance"]["divergence"]
            assert divergence["h"] >= 0
            assert 0 <= divergence["p"] <= 1


class TestPairedChange:
    def test_round_two_reports_change_from_round_one(self, client, auth, study, closed_round):
        second = study.launch()
        study.answer(second, seed=8)
        study.close(second)

        first_body, second_body = metrics(client, auth, 1), metrics(client, auth, 2)

        assert all(s["criteria"]["importance"]["change"] is None for s in first_body["statements"])
        carried = [s["key"] for s in first_body["statements"] if s["outcome"] == "carried"]
        assert [s["key"] for s in second_body["statements"]] == carried
        change = second_body["statements"][0]["criteria"]["importance"]["change"]
        assert change["pairs"] > 0
        assert 0 <= change["changed"] <= 1
        assert isinstance(change["stable"], bool)
        assert change["wilcoxon_p"] is None or not math.isnan(change["wilcoxon_p"])


class TestMetricsErrors:
    def test_an_open_round_is_409_with_a_reason(self, client, auth, study):
        study.panel({"ngo": 5})
        study.launch()

        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/metrics", headers=auth)

        assert response.status_code == 409
        assert "only once it is closed" in response.json()["detail"]

    def test_an_unknown_round_is_404(self, client, auth, survey):
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/4/metrics", headers=auth)

        assert response.status_code == 404
        assert response.json() == {"detail": f"study {STUDY!r} has no round 4"}

    def test_an_unknown_study_is_404(self, client, auth):
        response = client.get("/api/v1/studies/nope/rounds/1/metrics", headers=auth)

        assert response.status_code == 404

    def test_round_zero_is_a_round_of_proposals_that_may_not_exist(self, client, auth, survey):
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/0/metrics", headers=auth)

        assert response.status_code == 404

    def test_a_negative_round_is_rejected(self, client, auth, survey):
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/-1/metrics", headers=auth)

        assert response.status_code == 422
