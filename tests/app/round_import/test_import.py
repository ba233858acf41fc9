"""A round answered elsewhere: a long CSV checked line by line, then stored closed with its
results, served by the API and exports; a failed import writes nothing."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import engine
from app import i18n
from app.api import keys
from app.api import service as api
from app.cli import cli
from app.errors import Conflict, Invalid, shown
from app.models import Respondent, Round, RoundState, Survey
from app.round_import import service as round_import
from app.rounds import service as rounds
from tests.app.conftest import STUDY_FILE, spaced
from tests.app.console.conftest import csrf_from

KEY = "crime-prevention-2027"
HEADER = "round,respondent,statement,criterion,rating,cannot_judge,stakeholder_group,reason\n"
STATEMENTS = ("cyber-01", "cyber-02", "cyber-03")
GROUPS = ("ngo",) * 6 + ("member-state",) * 6


def rating(person: int, statement: int, criterion: str) -> int:
    return 1 + (person * 3 + statement) % (9 if criterion == "importance" else 5)


def round_csv(number: int = 1, *, people: int = 12, reasons: bool = True) -> str:
    lines = [HEADER]
    for p in range(people):
        for s, statement in enumerate(STATEMENTS):
            for criterion in ("importance", "feasibility"):
                reason = f"Reason of {p} on {statement}" if reasons and s == 0 else ""
                value = rating(p, s, criterion)
                lines.append(
                    f"{number},P{p:03d},{statement},{criterion},{value},0,{GROUPS[p]},{reason}\n"
                )
    return "".join(lines)


def problems(db: Session, survey: Survey, text: str) -> list[str]:
    with pytest.raises(Invalid) as caught:
        round_import.import_text(db, survey, text, "round.csv", actor="test")
    assert "nothing was imported" in caught.value.message or not caught.value.problems
    return caught.value.problems or [caught.value.message]


def nothing_written(db: Session, survey: Survey) -> bool:
    return (
        db.scalar(select(func.count()).select_from(Round).where(Round.survey_id == survey.id)) == 0
        and db.scalar(select(func.count()).select_from(Respondent)) == 0
    )


class TestImport:
    def test_the_round_is_closed_with_the_engines_figures(self, db, survey):
        done = round_import.import_text(db, survey, round_csv(), "round.csv", actor="test")

        assert done.round.state == RoundState.CLOSED
        assert [i.statement.key for i in done.round.items] == list(STATEMENTS)
        assert (done.respondents, done.snapshot.responded, done.warnings) == (12, 12, [])
        metrics = api.metrics(db, survey, 1)
        for criterion in survey.criteria:
            matrix = np.array(
                [[rating(p, s, criterion.key) for s in range(3)] for p in range(12)], dtype=float
            )
            expected = engine.summarize(
                matrix,
                engine.Scale(criterion.scale_low, criterion.scale_high),
                quantile_method=survey.method["quantile_method"],
                agree=(criterion.agree_low, criterion.agree_high),
                disagree=(criterion.disagree_low, criterion.disagree_high),
            )
            for j, statement in enumerate(metrics.statements):
                figures = statement.criteria[criterion.key]
                assert (figures.n, figures.median) == (12, float(expected.median[j]))
                assert figures.groups["ngo"].suppressed is False  # 6 >= k

    def test_reasons_ratings_and_exports_serve_it_without_the_codes(self, db, survey, client):
        round_import.import_text(db, survey, round_csv(), "round.csv", actor="test")
        auth = {"Authorization": f"Bearer {keys.create(db, name='t')}"}

        ratings = client.get(f"/api/v1/studies/{KEY}/rounds/1/ratings.csv", headers=auth).text
        reasons = client.get(f"/api/v1/studies/{KEY}/rounds/1/reasons", headers=auth).json()
        book = client.get(f"/api/v1/studies/{KEY}/rounds/1/metrics.xlsx", headers=auth)

        assert len(list(csv.reader(io.StringIO(ratings)))) == 1 + 12 * 3 * 2
        assert "P000" not in ratings
        assert len(reasons["reasons"]) == 12
        assert book.status_code == 200
        assert db.scalar(select(Respondent.key).limit(1)) != "P000"

    def test_the_same_codes_next_round_are_the_same_respondents(self, db, survey):
        round_import.import_text(db, survey, round_csv(1), "r1.csv", actor="test")
        round_import.import_text(db, survey, round_csv(2), "r2.csv", actor="test")

        change = api.metrics(db, survey, 2).statements[0].criteria["importance"].change
        assert change is not None
        assert (change.pairs, change.changed) == (12, 0.0)
        assert db.scalar(select(func.count()).select_from(Respondent)) == 12

    def test_a_rating_with_cannot_judge_keeps_the_rating_and_says_so(self, db, survey):
        text = round_csv().replace(
            "1,P000,cyber-01,importance,1,0", "1,P000,cyber-01,importance,1,1"
        )

        done = round_import.import_text(db, survey, text, "round.csv", actor="test")

        assert done.warnings == ["line 2: a rating (1) and cannot-judge: the rating is kept"]
        assert api.metrics(db, survey, 1).statements[0].criteria["importance"].n == 12

    def test_cannot_judge_and_unanswered_cells(self, db, survey):
        text = (
            round_csv()
            .replace("1,P000,cyber-01,importance,1,0", "1,P000,cyber-01,importance,,1")
            .replace("1,P001,cyber-01,importance,4,0", "1,P001,cyber-01,importance,cannot-judge,")
            .replace("1,P002,cyber-01,importance,7,0", "1,P002,cyber-01,importance,,0")
        )

        round_import.import_text(db, survey, text, "round.csv", actor="test")

        figures = api.metrics(db, survey, 1).statements[0].criteria["importance"]
        assert (figures.n, figures.cannot_judge) == (9, 2)


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                ("P000,cyber-01", "P000,nope-99"),
                "line 2: statement: the study has no statement 'nope-99'",
            ),
            (
                ("cyber-01,importance", "cyber-01,beauty"),
                "line 2: criterion: 'beauty' is not one of importance, feasibility",
            ),
            (
                ("importance,1,0", "importance,10,0"),
                "line 2: rating: '10' is not a point of the importance scale 1-9 "
                "(or empty with cannot_judge 1)",
            ),
            (("importance,1,0", "importance,high,0"), "line 2: rating: 'high' is not a point"),
            (
                ("importance,1,0", "importance,1,maybe"),
                "line 2: cannot_judge: 'maybe' is not 1 or 0",
            ),
            (
                ("importance,1,0,ngo", "importance,1,0,press"),
                "line 2: stakeholder_group: 'press' is not one of",
            ),
            (
                ("importance,1,0,ngo", "importance,1,0,"),
                "line 2: stakeholder_group: needed, the study has several groups",
            ),
            (
                ("1,P000,cyber-01,importance", "x,P000,cyber-01,importance"),
                "line 2: round: 'x' is not a round number",
            ),
            (("1,P000,cyber-01,importance", "1,,cyber-01,importance"), "line 2: respondent: empty"),
            (
                ("1,P000,cyber-01,feasibility,1,0,ngo", "1,P000,cyber-01,feasibility,1,0,academia"),
                "line 3: stakeholder_group: 'academia', but respondent 'P000' is in 'ngo' "
                "on line 2",
            ),
            (
                ("1,P000,cyber-01,feasibility", "1,P000,cyber-01,importance"),
                "line 3: respondent 'P000' already answered 'cyber-01' on 'importance' on line 2",
            ),
            (
                ("1,P000,cyber-02,importance", "2,P000,cyber-02,importance"),
                "one round per file, but the file has round 1 on line 2, round 2 on line 4",
            ),
            (
                (
                    "Reason of 0 on cyber-01\n"
                    "1,P000,cyber-01,feasibility,1,0,ngo,Reason of 0 on cyber-01",
                    "A\n1,P000,cyber-01,feasibility,1,0,ngo,B",
                ),
                "line 3: reason: respondent 'P000' already gave another reason",
            ),
        ],
    )
    def test_each_problem_is_named_with_its_line_and_nothing_is_written(
        self, db, survey, change, message
    ):
        text = round_csv().replace(*change, 1)

        found = problems(db, survey, text)

        assert any(p.startswith(message) for p in found), found
        assert nothing_written(db, survey)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "round.csv: 5 columns missing: round, respondent"),
            (HEADER, "round.csv: no answers in the file"),
            (
                "round,respondent,statement,criterion\n1,a,cyber-01,importance\n",
                "1 column missing: rating",
            ),
            (HEADER.replace("reason", "email"), "round.csv: 1 unknown column: email"),
            (
                HEADER + "1,a,cyber-01,importance,1,0,ngo,x,extra\n",
                "line 2: more fields than columns",
            ),
        ],
    )
    def test_files_that_are_not_rounds(self, db, survey, text, message):
        assert any(message in p for p in problems(db, survey, text))
        assert nothing_written(db, survey)

    def test_every_bad_line_is_counted_and_the_first_fifty_listed(self, db, survey):
        text = round_csv().replace(",cyber-", ",nope-")

        with pytest.raises(Invalid) as caught:
            round_import.import_text(db, survey, text, "round.csv", actor="test")

        assert caught.value.message == "round.csv: 72 problems; nothing was imported"
        assert len(caught.value.problems) == 51
        assert caught.value.problems[0].startswith("line 2: statement:")
        assert caught.value.problems[-1] == "… and 22 more problems"

    def test_a_round_must_come_after_the_last_one(self, db, survey):
        round_import.import_text(db, survey, round_csv(2), "r2.csv", actor="test")

        with pytest.raises(Conflict, match=r"already has round 2; .* \(round 3 or later\)"):
            round_import.import_text(db, survey, round_csv(1), "r1.csv", actor="test")
        with pytest.raises(Conflict, match="past the study's maximum of 3 rounds"):
            round_import.import_text(db, survey, round_csv(4), "r4.csv", actor="test")

    def test_not_while_a_round_is_open(self, db, survey, make_panel):
        make_panel({"ngo": 6})
        rounds.launch(db, survey, actor="test")

        with pytest.raises(Conflict, match="has an open round"):
            round_import.import_text(db, survey, round_csv(2), "r2.csv", actor="test")


def in_french(refused: Invalid) -> str:
    with i18n.use_language("fr"):
        return spaced("\n".join([refused.text(), *(shown(p) for p in refused.problems)]))


class TestFilesThatCannotBeRead:
    """What the UTF-8 codec and the csv module refuse, and a NUL character, said in the
    reader's language."""

    def test_a_file_that_is_not_utf8(self, db, survey, tmp_path: Path):
        path = tmp_path / "round.csv"
        path.write_bytes(round_csv().replace("Reason of 0", "Réponse de 0").encode("latin-1"))

        with pytest.raises(Invalid) as caught:
            round_import.import_file(db, survey, path)

        assert str(caught.value) == f"{path}: not UTF-8 text; save the file as UTF-8 and try again"
        assert in_french(caught.value) == (
            f"{path} : ce n’est pas du texte UTF-8 ; enregistrez le fichier en UTF-8 et réessayez"
        )
        assert nothing_written(db, survey)

    def test_a_nul_character_read_from_a_file(self, db, survey, tmp_path: Path):
        path = tmp_path / "round.csv"
        path.write_text(round_csv().replace("Reason of 1 ", "Reason\x00of 1 "), encoding="utf-8")

        with pytest.raises(Invalid) as caught:
            round_import.import_file(db, survey, path)

        line = next(n for n, row in enumerate(round_csv().splitlines(), 1) if "Reason of 1 " in row)
        assert str(caught.value) == (
            f"{path}: line {line}: contains a NUL character; not a text file"
        )
        assert in_french(caught.value) == (
            f"{path} : ligne {line} : contient un caractère NUL ; ce n’est pas un fichier texte"
        )
        assert nothing_written(db, survey)

    def test_a_field_past_the_csv_modules_limit(self, db, survey):
        unclosed = round_csv().replace("Reason of 0", '"Reason of 0', 1) + "x" * 140_000

        with pytest.raises(Invalid) as caught:
            round_import.import_text(db, survey, unclosed, "round.csv", actor="test")

        last = unclosed.count("\n") + 1  # where the csv module gave up
        assert in_french(caught.value) == (
            f"round.csv : ligne {last} : CSV non valide : un champ dépasse 131072 caractères : "
            "manque-t-il un guillemet fermant ? ; rien n’a été importé"
        )
        assert nothing_written(db, survey)


class TestCommandLine:
    def test_import_then_errors_exit_2(self, live_database: str, tmp_path: Path):
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(cli, ["survey", "import", str(STUDY_FILE)]).exit_code == 0
        good = tmp_path / "round.csv"
        good.write_text(round_csv(), encoding="utf-8")
        bad = tmp_path / "bad.csv"
        bad.write_text(round_csv(2).replace("cyber-03", "cyber-99"), encoding="utf-8")

        result = runner.invoke(cli, ["round", "import", KEY, str(good)])
        assert result.exit_code == 0, result.output
        assert "round 1 of 'crime-prevention-2027' imported and closed: 12 respondents" in (
            result.output
        )
        result = runner.invoke(cli, ["round", "import", KEY, str(bad)])
        assert result.exit_code == 2
        assert "problems; nothing was imported" in result.output
        assert "statement: the study has no statement 'cyber-99'" in result.output
        status = runner.invoke(cli, ["round", "status", KEY]).output
        assert "round 1: closed" in status
        assert "round 2" not in status


class TestConsoleUpload:
    def test_upload_then_report_and_a_bad_file_lists_its_lines(self, signed_in: TestClient, survey):
        page = f"/console/studies/{KEY}"
        token = csrf_from(signed_in.get(page).text)

        bad = signed_in.post(
            f"{page}/rounds/import",
            data={"csrf_token": token},
            files={
                "file": ("mine.csv", round_csv().replace("importance,1,0", "importance,0,0", 1))
            },
        )
        good = signed_in.post(
            f"{page}/rounds/import",
            data={"csrf_token": token},
            files={"file": ("mine.csv", round_csv())},
        )

        assert bad.status_code == 422
        summary = bad.text[bad.text.index("error-summary") :][:600]
        assert "mine.csv: 1 problem; nothing was imported" in summary, summary
        assert "line 2: rating: &#39;0&#39; is not a point" in bad.text
        assert good.status_code == 200
        assert good.url.path == f"{page}/rounds/1"
        assert "Round 1 imported and closed: 12 respondents, 3 statements." in good.text

    @pytest.mark.parametrize(
        ("data", "french"),
        [
            (
                round_csv().replace("Reason of 0", "Réponse de 0").encode("latin-1"),
                "mine.csv : ce n’est pas du texte UTF-8 ; enregistrez le fichier en UTF-8 et "
                "réessayez",
            ),
            (
                round_csv().replace("Reason of 0 ", "Reason\x00of 0 ").encode(),
                "mine.csv : ligne 2 : contient un caractère NUL ; ce n’est pas un fichier texte",
            ),
        ],
        ids=["latin-1", "nul"],
    )
    def test_a_file_that_is_not_text_is_explained_in_french(
        self, signed_in: TestClient, db, survey, data: bytes, french: str
    ):
        page = f"/console/studies/{KEY}"
        token = csrf_from(signed_in.get(page).text)

        refused = signed_in.post(
            f"{page}/rounds/import",
            data={"csrf_token": token},
            files={"file": ("mine.csv", data)},
            headers={"Accept-Language": "fr"},
        )

        assert refused.status_code == 422
        assert french in spaced(html.unescape(refused.text))
        assert nothing_written(db, survey)
