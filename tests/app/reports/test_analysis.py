"""The analyses stored at close, against computations done here independently."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from scipy import stats

from app.analysis import closing
from app.rounds import repository
from app.rounds import service as rounds
from app.rounds.ratings import load_ratings

STUDY = "crime-prevention-2027"


def api(client, auth, path: str):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/studies/{STUDY}{path}", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def by_hand(matrix: np.ndarray, band: tuple[int, int]) -> np.ndarray:
    """Share of each column's ratings inside ``band`` (NaN ignored)."""
    rated = ~np.isnan(matrix)
    inside = (matrix >= band[0]) & (matrix <= band[1])
    return inside.sum(axis=0) / rated.sum(axis=0)


class TestSensitivity:
    def test_verdicts_equal_the_rules_computed_by_hand(self, client, auth, two_rounds):
        survey = two_rounds.survey
        body = api(client, auth, "/sensitivity")
        first = body[0]
        assert first["round"] == 1
        importance = next(c for c in survey.criteria if c.key == "importance")
        matrix, _ = two_rounds.first.matrix(importance)
        agree = by_hand(matrix, (importance.agree_low, importance.agree_high))
        disagree = by_hand(matrix, (importance.disagree_low, importance.disagree_high))
        q1, q3 = (np.nanquantile(matrix, q, axis=0, method="weibull") for q in (0.25, 0.75))
        result = next(c for c in first["criteria"] if c["criterion"] == "importance")
        verdicts = result["verdicts"]
        assert verdicts["agreement-75"] == (agree >= 0.75).tolist()
        assert verdicts["core-outcome-70-15"] == ((agree >= 0.7) & (disagree < 0.15)).tolist()
        assert verdicts["iqr-le-1"] == (q3 - q1 <= 1).tolist()
        table = np.array([verdicts[r["name"]] for r in result["rules"]])
        robust = (table == table[0]).all(axis=0)
        assert result["robust"] == robust.tolist()
        keys = first["statements"]
        assert result["flips"] == [k for k, r in zip(keys, robust, strict=True) if not r]
        assert result["flips"], "the seeded ratings leave some verdicts to the rule"
        assert [r["name"] for r in result["rules"]][0] == "study"

    def test_an_alternative_rule_of_the_study_file_is_compared_too(self, db, survey, study):
        survey.method = {**survey.method, "alternative_rules": {"strict": "agree >= 0.9"}}
        study.panel({"member-state": 6, "ngo": 6})
        round_ = study.launch()
        answers = study.answer(round_, seed=3)
        study.close(round_)
        stored = repository.snapshot_of(db, round_).results["analysis"]["sensitivity"][0]
        matrix, _ = answers.matrix(survey.criteria[0])
        agree = by_hand(matrix, (survey.criteria[0].agree_low, survey.criteria[0].agree_high))
        assert stored["verdicts"]["strict"] == (agree >= 0.9).tolist()


class TestAttrition:
    def test_dropouts_against_stayers_equals_scipy(self, client, auth, two_rounds):
        body = api(client, auth, "/attrition")
        second = next(a for a in body if a["round"] == 2)
        tests = second["tests"]
        assert (tests["dropped"], tests["stayed"]) == (7, 20)
        survey = two_rounds.survey
        importance = next(c for c in survey.criteria if c.key == "importance")
        matrix, _ = two_rounds.first.matrix(importance)
        ids = list(two_rounds.first.by_respondent)
        dropped = np.array([rid in two_rounds.dropped for rid in ids])
        keys = [item.statement.key for item in two_rounds.first.round.items]
        rows = next(c for c in tests["criteria"] if c["criterion"] == "importance")["statements"]
        assert rows
        for row in rows:
            j = keys.index(row["key"])
            a = matrix[dropped, j][~np.isnan(matrix[dropped, j])]
            b = matrix[~dropped, j][~np.isnan(matrix[~dropped, j])]
            expected = stats.mannwhitneyu(a, b, method="asymptotic")
            assert row["u"] == pytest.approx(expected.statistic)
            assert row["p"] == pytest.approx(expected.pvalue)
            assert row["effect"] == pytest.approx(2 * expected.statistic / (len(a) * len(b)) - 1)
            assert row["flagged"] == (expected.pvalue < 0.05 and abs(row["effect"]) >= 0.3)
        flagged = {r["key"] for r in rows if r["flagged"]}
        assert {"cyber-01", "cyber-02"} <= flagged

    def test_flow_counts_invited_submitted_and_dropped_per_group(self, client, auth, two_rounds):
        flow = next(a for a in api(client, auth, "/attrition") if a["round"] == 2)["flow"]
        total = flow[-1]
        assert total["group"] is None
        assert (total["invited"], total["submitted"], total["dropped"]) == (27, 20, 7)
        # private-sector (2) is held back, and with it the next smallest group
        held = {f["group"] for f in flow if f["invited"] is None}
        assert "private-sector" in held
        shown = [f for f in flow if f["group"] and f["invited"] is not None]
        assert all(f["invited"] >= 5 for f in shown)


class TestOpinionGroups:
    def test_stored_groups_are_reproducible_for_the_seed(self, client, auth, db, two_rounds):
        body = api(client, auth, "/rounds/1/opinion-groups")
        assert body["computed"] is True
        assert body["seed"] == closing.OPINION_SEED
        round_1 = rounds.get_or_raise(db, two_rounds.survey, 1)
        data = load_ratings(db, two_rounds.survey, round_1)
        keys = [item.statement.key for item in round_1.items]
        again = closing.opinion_groups(two_rounds.survey, data, keys)
        assert again == {k: v for k, v in body.items() if k != "round"}
        assert len(body["points"]) == body["respondents"] == 27
        assert set(body["points"][0]) == {"group", "x", "y"}  # nothing names a respondent
        for group in body["groups"]:
            assert group["size"] >= two_rounds.survey.min_group_size

    def test_an_open_round_is_409(self, client, auth, study):
        study.panel({"member-state": 6})
        study.launch()
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/opinion-groups", headers=auth)
        assert response.status_code == 409
        assert "closed" in response.json()["detail"]


class TestAgreement:
    def test_alpha_and_median_ci_as_computed_independently(self, db, two_rounds):
        round_1 = rounds.get_or_raise(db, two_rounds.survey, 1)
        stored = repository.snapshot_of(db, round_1).results["analysis"]["agreement"]
        importance = next(c for c in two_rounds.survey.criteria if c.key == "importance")
        matrix, _ = two_rounds.first.matrix(importance)
        figures = next(a for a in stored if a["criterion"] == "importance")
        # rows of the matrix are respondents; krippendorff wants raters x units too
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
        assert figures["alpha"]["alpha"] == pytest.approx(expected)
        j = 0
        column = np.sort(matrix[:, j][~np.isnan(matrix[:, j])])
        n = len(column)
        # the narrowest symmetric order-statistic interval with coverage >= 95%
        best = max(
            k for k in range(1, n // 2 + 1) if 1 - 2 * stats.binom.cdf(k - 1, n, 0.5) >= 0.95
        )
        ci = figures["median_ci"][j]
        assert (ci["low"], ci["high"]) == (column[best - 1], column[n - best])
        complete = matrix[~np.isnan(matrix).any(axis=1)]
        if figures["kendall_w"] is not None:
            assert figures["kendall_w"]["raters"] == len(complete)
