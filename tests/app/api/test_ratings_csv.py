"""The anonymous ratings of a closed round as long-format CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from sqlalchemy import select

from app.models import Criterion, Panelist, Respondent, Round
from app.security import analyst_pseudonym
from tests.app.api.conftest import Rater

STUDY = "crime-prevention-2027"
PANEL = {"member-state": 8, "ngo": 6, "academia": 6, "private-sector": 2, "institute": 5}
COLUMNS = ["respondent", "stakeholder_group", "statement", "criterion", "rating", "cannot_judge"]


def download(client, auth, number: int) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/studies/{STUDY}/rounds/{number}/ratings.csv", headers=auth)
    assert response.status_code == 200, response.text
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def without_cannot_judge(seed: int) -> Rater:
    """Seeded ratings where everyone rates everything, so suppression is the same everywhere."""
    rng = np.random.default_rng(seed)

    def rate(_index: int, _group: str, _statement: str, criterion: Criterion) -> int:
        return int(rng.integers(criterion.scale_low, criterion.scale_high + 1))

    return rate


@pytest.fixture
def closed_round(study):
    study.panel(PANEL)
    round_ = study.launch()
    answers = study.answer(round_, rate=without_cannot_judge(3))
    study.close(round_)
    return answers


def shown_everywhere(client, auth, number: int) -> set[str]:
    """Groups the round's metrics show on every statement and criterion."""
    response = client.get(f"/api/v1/studies/{STUDY}/rounds/{number}/metrics", headers=auth)
    cells = [c["groups"] for s in response.json()["statements"] for c in s["criteria"].values()]
    return {g for g in cells[0] if all(not cell[g].get("suppressed", False) for cell in cells)}


class TestRatingsDownload:
    def test_it_is_a_csv_attachment(self, client, auth, closed_round):
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/ratings.csv", headers=auth)

        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{STUDY}-round-1-ratings.csv"'
        )

    def test_every_submitted_answer_is_one_row(self, client, auth, db, closed_round):
        rows = download(client, auth, 1)

        keys = dict(db.execute(select(Respondent.id, Respondent.key)).all())
        round_id = db.scalar(select(Round.id).where(Round.number == 1))
        expected = {
            (analyst_pseudonym(keys[rid], round_id), statement, criterion, rating)
            for rid, answer_set in closed_round.by_respondent.items()
            for statement, ratings in answer_set.items()
            for criterion, rating in ratings.items()
        }
        got = {
            (
                r["respondent"],
                r["statement"],
                r["criterion"],
                None if r["cannot_judge"] == "1" else int(r["rating"]),
            )
            for r in rows
        }
        assert len(rows) == 27 * 27 * 2
        assert got == expected

    def test_cannot_judge_leaves_the_rating_empty(self, client, auth, study):
        study.panel(PANEL)
        round_ = study.launch()
        study.answer(round_, seed=3)
        study.close(round_)
        rows = download(client, auth, 1)

        unable = [r for r in rows if r["cannot_judge"] == "1"]
        assert unable
        assert all(r["rating"] == "" for r in unable)
        assert {r["cannot_judge"] for r in rows} == {"0", "1"}

    def test_rows_are_ordered_by_pseudonym_statement_and_criterion(
        self, client, auth, closed_round
    ):
        rows = download(client, auth, 1)

        order = {item.statement.key: item.position for item in closed_round.round.items}
        criteria = {"importance": 0, "feasibility": 1}
        keys = [(r["respondent"], order[r["statement"]], criteria[r["criterion"]]) for r in rows]
        assert keys == sorted(keys)


class TestRatingsAnonymity:
    def test_respondents_appear_only_under_a_pseudonym(self, client, auth, db, closed_round):
        rows = download(client, auth, 1)

        pseudonyms = {r["respondent"] for r in rows}
        respondents = db.scalars(select(Respondent)).all()
        panelist_ids = {str(p) for p in db.scalars(select(Panelist.id))}
        assert len(pseudonyms) == 27
        assert all(len(p) == 16 and int(p, 16) >= 0 for p in pseudonyms)
        for respondent in respondents:
            assert respondent.key[:16] not in pseudonyms
            assert str(respondent.id) not in pseudonyms
        assert not pseudonyms & panelist_ids

    def test_small_groups_and_their_complement_are_suppressed(self, client, auth, closed_round):
        rows = download(client, auth, 1)

        per_respondent = {r["respondent"]: r["stakeholder_group"] for r in rows}
        groups = sorted(per_respondent.values())
        # private-sector (2) is below k = 5, and institute (5) hides it from subtraction
        assert groups.count("suppressed") == 2 + 5
        assert {"member-state", "ngo", "academia"} == set(groups) - {"suppressed"}
        assert groups.count("member-state") == 8

    def test_pseudonyms_differ_between_rounds(self, client, auth, study, closed_round):
        second = study.launch()
        study.answer(second, rate=without_cannot_judge(4), panelists=study.panelists[:20])
        study.close(second)

        first = {r["respondent"] for r in download(client, auth, 1)}
        again = {r["respondent"] for r in download(client, auth, 2)}

        assert len(again) == 20
        assert not again & first


class TestSuppressionPerCell:
    def test_only_groups_shown_on_every_cell_are_named(self, client, auth, study):
        study.panel(PANEL)
        round_ = study.launch()
        study.answer(round_, seed=3)  # some cannot-judge: suppression differs per cell
        study.close(round_)

        rows = download(client, auth, 1)

        named = {r["stakeholder_group"] for r in rows} - {"suppressed"}
        assert named
        assert named <= shown_everywhere(client, auth, 1)
        suppressed = [r for r in rows if r["stakeholder_group"] == "suppressed"]
        assert suppressed

    def test_rows_of_a_group_shown_somewhere_cannot_be_followed(self, client, auth, study):
        study.panel({"member-state": 8, "ngo": 6, "academia": 6, "institute": 5})
        round_ = study.launch()
        ngo = sorted(p.email for p in study.panelists if p.stakeholder_group == "ngo")
        first_two = set(ngo[:2])

        def rate(index, group, statement, criterion):
            # two ngo members cannot judge one statement: ngo has four raters there
            if statement == "cyber-02" and study.panelists[index].email in first_two:
                return None
            return criterion.scale_high

        study.answer(round_, rate=rate)
        study.close(round_)

        rows = download(client, auth, 1)

        named = {r["stakeholder_group"] for r in rows} - {"suppressed"}
        # ngo is hidden on cyber-02, though shown elsewhere, and institute with it there
        assert named == {"member-state", "academia"}
        assert named <= shown_everywhere(client, auth, 1)
        suppressed = [r for r in rows if r["stakeholder_group"] == "suppressed"]
        assert suppressed
        assert all(r["respondent"] == "" for r in suppressed)
        keys = [(r["statement"], r["criterion"], r["cannot_judge"], r["rating"]) for r in rows]
        order = {item.statement.key: item.position for item in round_.items}
        criteria = {"importance": 0, "feasibility": 1}
        content = [
            (order[s], criteria[c], int(cj), int(r) if r else -1)
            for s, c, cj, r in keys[: len(suppressed)]
        ]
        assert content == sorted(content)  # the suppressed rows come first, by content only
        labelled = {r["respondent"] for r in rows if r["stakeholder_group"] != "suppressed"}
        assert all(len(p) == 16 for p in labelled)

    def test_the_two_two_eight_eight_union_is_not_labelled(self, client, auth, study):
        study.panel({"member-state": 8, "ngo": 8, "academia": 2, "private-sector": 2})
        round_ = study.launch()
        study.answer(round_, rate=without_cannot_judge(5))
        study.close(round_)

        rows = download(client, auth, 1)

        per_respondent = {r["respondent"]: r["stakeholder_group"] for r in rows}
        groups = sorted(per_respondent.values())
        # total minus both groups of eight would give the four small-group raters, so
        # member-state (first of the two) is hidden with them: twelve suppressed rows
        assert groups.count("suppressed") == 12
        assert set(groups) == {"ngo", "suppressed"}
        assert shown_everywhere(client, auth, 1) == {"ngo"}


class TestRatingsErrors:
    def test_an_open_round_is_409(self, client, auth, study):
        study.panel({"ngo": 5})
        study.launch()

        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/ratings.csv", headers=auth)

        assert response.status_code == 409
        assert "closed" in response.json()["detail"]

    def test_an_unknown_round_is_404_json(self, client, auth, survey):
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/2/ratings.csv", headers=auth)

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
