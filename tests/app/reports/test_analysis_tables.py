"""The attrition, flow and opinion-group export tables: CSV and XLSX alike, and the same
small-group suppression as the pages and the API."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from app.exports import service as exports
from tests.app.api.test_exports import same

STUDY = "crime-prevention-2027"
TABLES = ("flow", "attrition", "opinion-groups")


def csv_table(client, auth, number: int, name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(
        f"/api/v1/studies/{STUDY}/rounds/{number}/tables/{name}.csv", headers=auth
    )
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))


def api(client, auth, path: str):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/studies/{STUDY}{path}", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [r[index] for r in rows[1:]]


class TestWorkbook:
    @pytest.mark.parametrize("number", [1, 2])
    def test_the_sheets_equal_their_csv(self, client, auth, two_rounds, number):
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/{number}/metrics.xlsx", headers=auth)
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)

        for name in TABLES:
            sheet = list(book[name].iter_rows(values_only=True))
            rows = csv_table(client, auth, number, name)
            assert len(sheet) == len(rows), name
            for row, texts in zip(sheet, rows, strict=True):
                cells = [*row, *[None] * (len(texts) - len(row))]
                assert all(same(c, t) for c, t in zip(cells, texts, strict=True)), (cells, texts)
        assert len(csv_table(client, auth, 2, "attrition")) > 1

    def test_the_dictionary_describes_the_new_tables(self, client, auth, two_rounds):
        rows = csv_table(client, auth, 2, "dictionary")[1:]
        described = {(t, c) for t, c, d in rows if d}

        for name in TABLES:
            header = csv_table(client, auth, 2, name)[0]
            assert {(name, c) for c in ["", *header]} <= described


class TestAttrition:
    def test_rows_are_the_api_tests(self, client, auth, two_rounds):
        rows = csv_table(client, auth, 2, "attrition")
        tests = next(a for a in api(client, auth, "/attrition") if a["round"] == 2)["tests"]
        expected = {
            (t["key"], block["criterion"]): t
            for block in tests["criteria"]
            for t in block["statements"]
        }
        got = {(r[rows[0].index("statement")], r[rows[0].index("criterion")]): r for r in rows[1:]}
        assert set(got) == set(expected)
        for cell, row in got.items():
            assert row[rows[0].index("p")] == str(expected[cell]["p"])
            assert row[rows[0].index("flagged")] == str(int(expected[cell]["flagged"]))
        flagged = {key for (key, _), r in got.items() if r[rows[0].index("flagged")] == "1"}
        assert {"cyber-01", "cyber-02"} <= flagged
        assert all(int(n) >= 5 for n in column(rows, "n_dropped") + column(rows, "n_stayed"))

    def test_no_test_without_k_dropouts(self, db, two_rounds):
        survey = two_rounds.survey
        assert exports.round_table(db, survey, 2, "attrition").rows
        survey.min_group_size = 8  # seven dropped out
        db.flush()

        assert exports.round_table(db, survey, 2, "attrition").rows == []


class TestFlow:
    def test_held_back_groups_have_no_counts(self, client, auth, two_rounds):
        rows = csv_table(client, auth, 2, "flow")
        flow = next(a for a in api(client, auth, "/attrition") if a["round"] == 2)["flow"]
        by_group = {r[rows[0].index("group")]: r for r in rows[1:]}

        assert len(by_group) == len(flow)
        held = 0
        for f in flow:
            row = by_group[f["group"] or ""]
            counts = row[rows[0].index("invited") :]
            if f["group"] and f["invited"] is None:
                held += 1
                assert row[rows[0].index("held_back")] == "1"
                assert counts == ["", "", "", ""]
            else:
                assert row[rows[0].index("held_back")] == "0"
                assert counts == [
                    "" if v is None else str(v)
                    for v in (f["invited"], f["started"], f["submitted"], f["dropped"])
                ]
        assert held >= 1  # private-sector has two members
        assert by_group[""][rows[0].index("dropped") :] == ["7"]


class TestOpinionGroups:
    def test_rows_are_the_described_groups_only(self, client, auth, two_rounds):
        body = api(client, auth, "/rounds/1/opinion-groups")
        rows = csv_table(client, auth, 1, "opinion-groups")
        sizes = dict(zip(column(rows, "group"), column(rows, "size"), strict=True))

        assert sizes == {str(g["number"]): str(g["size"]) for g in body["groups"]}
        assert all(int(s) >= two_rounds.survey.min_group_size for s in sizes.values())
        distinguishing = {
            (str(g["number"]), d["key"]) for g in body["groups"] for d in g["distinguishing"]
        }
        assert set(zip(column(rows, "group"), column(rows, "statement"), strict=True)) == (
            distinguishing
        )

    def test_a_group_below_k_is_neither_sized_nor_described(self, db, two_rounds):
        survey = two_rounds.survey
        rows = exports.round_table(db, survey, 1, "opinion-groups").rows
        smallest = min(int(r[3]) for r in rows)  # type: ignore[arg-type]
        survey.min_group_size = smallest + 1
        db.flush()

        kept = exports.round_table(db, survey, 1, "opinion-groups").rows
        assert all(int(r[3]) > smallest for r in kept)  # type: ignore[arg-type]
        assert len(kept) < len(rows)
