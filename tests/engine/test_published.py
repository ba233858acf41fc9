"""Reproduce the authors' own tables of three published Delphi studies.

The raw ratings and the authors' per-statement results live in
``tests/engine/data/published/`` (see the README and each ``SOURCE.md`` there for
origin, licence and how the authors computed their figures). Each study needs
different method settings; with the right ones the engine reproduces every row.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from engine import ConsensusRule, Scale, evaluate, quartiles, summarize

DATA = Path(__file__).parent / "data" / "published"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def matrix(cells: dict[tuple[str, str], float], rows: list[str], columns: list[str]) -> np.ndarray:
    x = np.full((len(rows), len(columns)), np.nan)
    row_of = {r: i for i, r in enumerate(rows)}
    column_of = {c: j for j, c in enumerate(columns)}
    for (r, c), value in cells.items():
        x[row_of[r], column_of[c]] = value
    return x


# --------------------------------------------------------------------- Unisanté


UNISANTE = DATA / "unisante-dft-puffbars"
AGREEMENT = ConsensusRule.parse("median >= 7")
DISAGREEMENT = ConsensusRule.parse("median <= 3")
UNISANTE_CONSENSUS = ConsensusRule.parse("iqr <= 3")


def unisante_round(number: int, *, box_wins: bool = False) -> tuple[np.ndarray, list[int], int]:
    """Round ``number`` as (ratings panelists x statements, statement numbers, panel size).

    A present rating is kept even when the "no opinion" box is also ticked, as the
    authors' figures require; ``box_wins=True`` applies the opposite rule.
    """
    rows = [r for r in read(UNISANTE / "ratings_long.csv") if int(r["round"]) == number]
    panelists = sorted({r["record_id"] for r in rows}, key=int)
    statements = sorted({int(r["statement_number"]) for r in rows})
    cells: dict[tuple[str, str], float] = {}
    for r in rows:
        if r["rating"] == "" or (box_wins and r["no_opinion"] == "1"):
            continue
        cells[r["record_id"], r["statement_number"]] = float(r["rating"])
    x = matrix(cells, panelists, [str(s) for s in statements])
    return x, statements, len(panelists)


def unisante_reports() -> list[dict[str, str]]:
    return read(UNISANTE / "results_round2_generic_report.csv") + read(
        UNISANTE / "results_round3_generic_report.csv"
    )


def column_extremes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = np.array([np.min(c[~np.isnan(c)]) for c in x.T])
    high = np.array([np.max(c[~np.isnan(c)]) for c in x.T])
    return low, high


class TestUnisante:
    """R type-7 quartiles, no-opinion excluded, agreement median >= 7, consensus IQR <= 3."""

    @pytest.mark.parametrize(
        "report", unisante_reports(), ids=lambda r: f"R{r['round']}-S{r['statement_number']}"
    )
    def test_generic_report_row(self, report: dict[str, str]) -> None:
        x, statements, participants = unisante_round(int(report["round"]))
        s = summarize(x, Scale(1, 9), quantile_method="linear")
        j = statements.index(int(report["statement_number"]))
        low, high = column_extremes(x)
        assert s.n[j] == int(report["n_responses"])
        assert round(100 * s.n[j] / participants, 1) == float(report["response_pct"])
        assert s.median[j] == float(report["median"])
        assert s.q1[j] == float(report["q1"])
        assert s.q3[j] == float(report["q3"])
        assert (low[j], high[j]) == (float(report["min"]), float(report["max"]))
        agreement = (
            "agree"
            if evaluate(s, AGREEMENT)[j]
            else "disagree"
            if evaluate(s, DISAGREEMENT)[j]
            else ""
        )
        assert agreement == report["agreement"]
        assert ("yes" if evaluate(s, UNISANTE_CONSENSUS)[j] else "no") == report["consensus"]

    @pytest.mark.parametrize(
        "row",
        read(UNISANTE / "results_exec_summary_numeric.csv"),
        ids=lambda r: f"R{float(r['dft_round']):.0f}-S{float(r['statement_number']):.0f}",
    )
    def test_executive_summary_row(self, row: dict[str, str]) -> None:
        x, statements, participants = unisante_round(int(float(row["dft_round"])))
        s = summarize(x, Scale(1, 9), quantile_method="linear")
        j = statements.index(int(float(row["statement_number"])))
        low, high = column_extremes(x)
        assert participants == float(row["participants_count"])
        assert s.n[j] == float(row["reponses_count"])
        assert participants - s.n[j] == float(row["reponses_na"])
        assert round(s.n[j] / participants, 3) == float(row["response_rate"])
        assert (low[j], s.q1[j], s.median[j], s.q3[j], high[j]) == tuple(
            float(row[k]) for k in ("min", "q1", "median", "q3", "max")
        )
        assert s.iqr[j] == float(row["iqr_range"])
        expected_agreement = {"ok": "agree", "not_ok": "disagree", "": ""}[row["agreement"]]
        agreement = (
            "agree"
            if evaluate(s, AGREEMENT)[j]
            else "disagree"
            if evaluate(s, DISAGREEMENT)[j]
            else ""
        )
        assert agreement == expected_agreement
        assert ("ok" if evaluate(s, UNISANTE_CONSENSUS)[j] else "") == row["consensus"]

    def test_every_published_row_is_checked(self) -> None:
        assert len(unisante_reports()) == 33
        assert len(read(UNISANTE / "results_exec_summary_numeric.csv")) == 26

    def test_a_present_rating_wins_over_the_no_opinion_box(self) -> None:
        # Round 3, statement 13: record 24 rated 5 and also ticked "no opinion".
        kept, statements, _ = unisante_round(3)
        dropped, _, _ = unisante_round(3, box_wins=True)
        j = statements.index(13)
        with_rating = summarize(kept, Scale(1, 9), quantile_method="linear")
        without = summarize(dropped, Scale(1, 9), quantile_method="linear")
        assert (with_rating.n[j], with_rating.q1[j]) == (21, 5.0)  # the authors' figures
        assert without.n[j] == 20
        assert without.q1[j] != 5.0

    def test_the_quartile_method_matters_here(self) -> None:
        # SPSS's definition would not reproduce the report (e.g. Q1 = 2.75 of R3-S6).
        x, statements, _ = unisante_round(3)
        j = statements.index(6)
        assert quartiles(x[:, j], method="linear").q1[0] == 2.75
        assert quartiles(x[:, j], method="weibull").q1[0] != 2.75


# ---------------------------------------------------------------------- ENLIGHT


ENLIGHT = DATA / "enlight-round1"
# The authors' script renames this item; its label in the xlsx is longer.
ENLIGHT_RENAMED = {
    "Relative size of stimulus (e.g. angular extent in degrees from a specific viewpoint)": (
        "Relative size of stimulus (e.g. angular extent in degrees)"
    )
}


def enlight() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(ratings 65 x 61 with NaN for X and blanks, X counts per item, item labels)."""
    rows = read(ENLIGHT / "ratings_long.csv")
    panelists = sorted({r["panelist"] for r in rows}, key=int)
    labels = list(
        dict.fromkeys(ENLIGHT_RENAMED.get(r["item_label"], r["item_label"]) for r in rows)
    )
    cells: dict[tuple[str, str], float] = {}
    dont_know: dict[str, int] = defaultdict(int)
    for r in rows:
        label = ENLIGHT_RENAMED.get(r["item_label"], r["item_label"])
        if r["dont_know"] == "1":
            dont_know[label] += 1
        elif r["rating"] != "":
            cells[r["panelist"], label] = float(r["rating"])
    x = matrix(cells, panelists, labels)
    return x, np.array([dont_know[label] for label in labels]), labels


class TestEnlight:
    """Share rating 5-7 with "don't know" (X) in the denominator; include if share > 0.75."""

    def test_every_item(self) -> None:
        x, dont_know, labels = enlight()
        assert x.shape == (65, 61)
        s = summarize(
            x,
            Scale(1, 7),
            agree=(5, 7),
            disagree=(1, 3),
            cannot_judge=dont_know,
            cannot_judge_counts=True,
        )
        published = {r["Var2"]: r for r in read(ENLIGHT / "original" / "Round1_item-rating.csv")}
        assert set(published) == set(labels)
        unknown = s.cannot_judge / (s.n + s.cannot_judge)
        include = evaluate(s, ConsensusRule.parse("agree > 0.75"))
        for j, label in enumerate(labels):
            row = published[label]
            np.testing.assert_allclose(s.agree[j], float(row["rating_incl"]), rtol=0, atol=1e-12)
            excluded = s.disagree[j] + unknown[j]  # the authors count X as "exclude"
            np.testing.assert_allclose(excluded, float(row["rating_excl"]), rtol=0, atol=1e-12)
            np.testing.assert_allclose(unknown[j], float(row["rating_unknown"]), rtol=0, atol=1e-12)
            assert ("y" if include[j] else "n") == row["incl_yn"], label
            assert ("y" if excluded > 0.75 else "n") == row["excl_yn"], label

    def test_leaving_dont_know_out_changes_the_result(self) -> None:
        x, dont_know, _ = enlight()
        counted = summarize(
            x, Scale(1, 7), agree=(5, 7), cannot_judge=dont_know, cannot_judge_counts=True
        )
        ignored = summarize(x, Scale(1, 7), agree=(5, 7), cannot_judge=dont_know)
        assert (counted.agree <= ignored.agree).all()
        assert (counted.agree < ignored.agree).sum() == (dont_know > 0).sum()


# ------------------------------------------------------------------------ TITCO


TITCO = DATA / "titco-utaf"


class TestTitco:
    """The plain median of each filter's final-round scores (scale 1-10)."""

    def test_every_filter(self) -> None:
        scores = read(TITCO / "allscores.csv")
        key = lambda r: (float(r["code"]), float(r["site"]), float(r["round"]))  # noqa: E731
        filters = list(dict.fromkeys(key(r) for r in scores))
        by_filter: dict[tuple[float, float, float], list[float]] = defaultdict(list)
        for r in scores:
            by_filter[key(r)].append(float(r["score"]))
        x = np.full((max(len(v) for v in by_filter.values()), len(filters)), np.nan)
        for j, f in enumerate(filters):
            x[: len(by_filter[f]), j] = by_filter[f]
        s = summarize(x, Scale(1, 10), agree=(8, 10), disagree=(1, 3))
        results = read(TITCO / "results.csv")
        assert len(results) == len(filters) == 67
        for row in results:
            j = filters.index(key(row))
            assert s.median[j] == float(row["median_score"]), row["filter"]
        assert 8 <= s.n.min()
        assert s.n.max() <= 14
