"""Three published Delphi studies, imported as rounds answered elsewhere with their authors'
method settings and rules (study files beside this test), give the authors' verdicts.

The ratings come from tests/engine/data/published/ (see its SOURCE.md files); each is
written out as the long CSV a facilitator would upload, then imported through the same
function the CLI and the console call. Expected values are the authors' own tables.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.api import service as api
from app.round_import import service as round_import
from app.studies import service as studies

HERE = Path(__file__).parent / "published"
DATA = Path(__file__).parents[2] / "engine" / "data" / "published"
COLUMNS = ["round", "respondent", "statement", "criterion", "rating", "cannot_judge"]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def long_csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def load(db: Session, name: str, rounds: dict[int, str]):
    survey = studies.import_file(db, HERE / f"{name}.yaml", actor="test")
    for number, text in rounds.items():
        round_import.import_text(db, survey, text, f"round-{number}.csv", actor="test")
    return survey


def metrics(db: Session, survey, number: int) -> dict[str, dict]:
    found = api.metrics(db, survey, number)
    return {s.key: s for s in found.statements}


class TestUnisante:
    """R type-7 quartiles, no-opinion left out, consensus = IQR <= 3, agree = median >= 7."""

    @pytest.fixture
    def survey(self, db: Session):
        answers: dict[int, list[list[object]]] = defaultdict(list)
        for r in read(DATA / "unisante-dft-puffbars" / "ratings_long.csv"):
            rating = "" if r["rating"] == "" else int(float(r["rating"]))
            if rating == "" and r["no_opinion"] != "1":
                continue  # not answered
            statement = f"r{r['round']}-s{int(r['statement_number']):02d}"
            # a rating with the no-opinion box ticked keeps the rating (the authors did)
            row = [r["round"], r["record_id"], statement, "agreement", rating, r["no_opinion"]]
            answers[int(r["round"])].append(row)
        return load(db, "unisante", {n: long_csv(rows) for n, rows in sorted(answers.items())})

    @pytest.mark.parametrize("number", [2, 3])
    def test_every_report_row_is_reproduced(self, db, survey, number):
        reports = read(DATA / "unisante-dft-puffbars" / f"results_round{number}_generic_report.csv")
        found = metrics(db, survey, number)

        assert len(found) >= len(reports)
        for report in reports:
            statement = found[f"r{number}-s{int(report['statement_number']):02d}"]
            figures = statement.criteria["agreement"]
            assert figures.n == int(report["n_responses"])
            assert (figures.q1, figures.median, figures.q3) == (
                float(report["q1"]),
                float(report["median"]),
                float(report["q3"]),
            )
            assert figures.consensus is (report["consensus"] == "yes")
            assert statement.consensus is (report["consensus"] == "yes")
            assert (figures.median >= 7) is (report["agreement"] == "agree")

    def test_the_exec_summary_agrees_too(self, db, survey):
        for row in read(DATA / "unisante-dft-puffbars" / "results_exec_summary_numeric.csv"):
            number = int(float(row["dft_round"]))
            key = f"r{number}-s{int(float(row['statement_number'])):02d}"
            figures = metrics(db, survey, number)[key].criteria["agreement"]
            assert figures.n == int(float(row["reponses_count"]))
            assert figures.iqr == float(row["iqr_range"])
            assert figures.consensus is (row["consensus"] == "ok")


class TestEnlight:
    """Share rating 5-7 with "don't know" in the denominator; include if the share > 0.75."""

    @pytest.fixture
    def survey(self, db: Session):
        rows: list[list[object]] = []
        for r in read(DATA / "enlight-round1" / "ratings_long.csv"):
            if r["rating"] == "" and r["dont_know"] != "1":
                continue
            statement = "item-" + r["item_code"].replace(".", "-")
            rows.append([1, r["panelist"], statement, "importance", r["rating"], r["dont_know"]])
        return load(db, "enlight", {1: long_csv(rows)})

    def test_every_item_gets_the_authors_verdict(self, db, survey):
        labels = {}
        for r in read(DATA / "enlight-round1" / "ratings_long.csv"):
            labels["item-" + r["item_code"].replace(".", "-")] = r["item_label"]
        # The authors' script renames item 21.4, whose column name is longer in the xlsx.
        labels["item-21-4"] = "Relative size of stimulus (e.g. angular extent in degrees)"
        authors = {
            r["Var2"]: r for r in read(DATA / "enlight-round1/original/Round1_item-rating.csv")
        }
        found = metrics(db, survey, 1)

        assert len(found) == len(authors) == 61
        for key, statement in found.items():
            expected = authors[labels[key]]
            figures = statement.criteria["importance"]
            assert math.isclose(figures.agree, float(expected["rating_incl"]), abs_tol=1e-12)
            assert statement.consensus is (expected["incl_yn"] == "y"), key


class TestTitco:
    """The plain median score per filter (code x site), from each filter's final round."""

    @pytest.fixture
    def survey(self, db: Session):
        rows: list[list[object]] = []
        counter: dict[str, int] = defaultdict(int)
        for r in read(DATA / "titco-utaf" / "allscores.csv"):
            statement = f"filter-{int(float(r['code']))}-site-{int(float(r['site']))}"
            counter[statement] += 1
            # No rater ids are published: each score is its own respondent.
            rows.append(
                [
                    1,
                    f"{statement}-{counter[statement]}",
                    statement,
                    "usefulness",
                    int(float(r["score"])),
                    0,
                ]
            )
        return load(db, "titco", {1: long_csv(rows)})

    def test_every_filter_has_the_authors_median(self, db, survey):
        found = metrics(db, survey, 1)
        results = read(DATA / "titco-utaf" / "results.csv")

        assert len(found) == len(results) == 67
        for r in results:
            key = f"filter-{int(float(r['code']))}-site-{int(float(r['site']))}"
            assert found[key].criteria["usefulness"].median == float(r["median_score"]), key
