"""Importing the panel from CSV: every row checked, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import i18n
from app.errors import Invalid, shown
from app.models import Panelist, Survey
from app.panel import service
from tests.app.conftest import spaced

GOOD = """email,name,stakeholder_group,language
Ana@Example.org,Ana Lima,ngo,fr
ben@example.org,Ben Osei,academia,
"""


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Panelist)) or 0)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "panel.csv"
    path.write_text(text, encoding="utf-8")
    return path


class TestImportPanel:
    def test_valid_rows_are_added(self, db: Session, survey: Survey, tmp_path: Path) -> None:
        assert service.import_file(db, survey, _write(tmp_path, GOOD)) == 2
        panel = service.list_for(db, survey)
        assert [(p.email, p.language) for p in panel] == [
            ("ana@example.org", "fr"),
            ("ben@example.org", "en"),
        ]

    def test_byte_order_mark_and_column_case_are_accepted(
        self, db: Session, survey: Survey, tmp_path: Path
    ) -> None:
        text = "\ufeffEmail,Name,Stakeholder_Group\nc@example.org,C,institute\n"
        assert service.import_file(db, survey, _write(tmp_path, text)) == 1


class TestBadPanelFiles:
    def test_each_bad_row_is_reported_by_line(self, survey: Survey) -> None:
        text = (
            "email,name,stakeholder_group,language\n"
            "ok@example.org,Ok,ngo,en\n"
            "not-an-email,X,ngo,en\n"
            "y@example.org,,pirates,de\n"
        )
        with pytest.raises(Invalid) as info:
            service.parse(text, survey, "panel.csv")
        problems = info.value.problems
        assert any(p.startswith("line 3: email:") for p in problems)
        assert "line 4: name: missing" in problems
        assert any(p.startswith("line 4: stakeholder_group: 'pirates'") for p in problems)
        assert any(p.startswith("line 4: language: 'de'") for p in problems)

    @pytest.mark.parametrize(
        ("email", "english", "french"),
        [
            (
                "ana.example.org",
                "not a valid email address: it has no @",
                "adresse non valide\u00a0: il manque le signe @",
            ),
            (
                "ana@example",
                "not a valid email address: what follows the @ is not a domain name such as "
                "example.org",
                "adresse non valide\u00a0: ce qui suit le @ n’est pas un nom de domaine comme "
                "example.org",
            ),
            (
                "ana@",
                "not a valid email address: what follows the @ is not a domain name such as "
                "example.org",
                "adresse non valide\u00a0: ce qui suit le @ n’est pas un nom de domaine comme "
                "example.org",
            ),
            (
                "a" * 250 + "@example.org",
                "not a valid email address: too long, the maximum length is 254",
                "adresse non valide\u00a0: trop longue, la longueur maximale est 254",
            ),
            ("ana..lima@example.org", "not a valid email address", "adresse non valide"),
        ],
    )
    def test_a_bad_email_is_explained_in_our_words(
        self, survey: Survey, email: str, english: str, french: str
    ) -> None:
        text = f"email,name,stakeholder_group\n{email},Ana,ngo\n"
        with pytest.raises(Invalid) as info:
            service.parse(text, survey, "panel.csv")
        [problem] = info.value.problems
        with i18n.use_language("fr"):
            shown = problem.text()

        assert problem == f"line 2: email: {english}"
        assert shown == f"ligne 2\u00a0: adresse électronique\u00a0: {french}"

    def test_duplicates_in_the_file_are_reported(self, survey: Survey) -> None:
        text = GOOD + "ana@example.org,Ana Again,ngo,en\n"
        with pytest.raises(Invalid) as info:
            service.parse(text, survey, "panel.csv")
        assert info.value.problems == ["line 4: duplicate email (first on line 2)"]

    def test_already_on_the_panel_is_reported_and_nothing_added(
        self, db: Session, survey: Survey, tmp_path: Path
    ) -> None:
        service.import_file(db, survey, _write(tmp_path, GOOD))
        second = GOOD.replace("Ana@Example.org", "new@example.org")
        with pytest.raises(Invalid) as info:
            service.import_file(db, survey, _write(tmp_path, second))
        assert info.value.problems == ["already on the panel: ben@example.org"]
        assert _count(db) == 2

    def test_missing_columns(self, survey: Survey) -> None:
        with pytest.raises(Invalid, match="columns? missing"):
            service.parse("email,name\na@example.org,A\n", survey)

    def test_failed_import_changes_nothing(
        self, db: Session, survey: Survey, tmp_path: Path
    ) -> None:
        with pytest.raises(Invalid):
            service.import_file(db, survey, _write(tmp_path, GOOD + "bad,Bad,ngo,en\n"))
        assert _count(db) == 0

    def test_empty_file(self, survey: Survey) -> None:
        with pytest.raises(Invalid, match="no panelists"):
            service.parse("email,name,stakeholder_group\n", survey)


class TestUnstorableValues:
    def test_over_long_names_and_nul_characters_are_reported(self, survey: Survey) -> None:
        text = "email,name,stakeholder_group\n" + f"a@example.org,{'x' * 201},ngo\n"
        text += "b@example.org,B\x00,ngo\n"
        with pytest.raises(Invalid) as info:
            service.parse(text, survey, "panel.csv")
        assert "line 2: name: longer than 200 characters" in info.value.problems
        assert any(p.startswith("line 3: contains a NUL character") for p in info.value.problems)


def _in_english_and_french(refused: Invalid) -> tuple[str, str]:
    with i18n.use_language("fr"):
        french = "\n".join([refused.text(), *(shown(p) for p in refused.problems)])
    return str(refused), spaced(french)


class TestFilesThatCannotBeRead:
    """What the file system, the UTF-8 codec and the csv module refuse, in the reader's
    language."""

    HEADER = "email,name,stakeholder_group\n"

    def _refused(self, db: Session, survey: Survey, path: Path) -> tuple[str, str]:
        """The file's error and its problems, in English and in French."""
        with pytest.raises(Invalid) as info:
            service.import_file(db, survey, path)
        assert _count(db) == 0
        return _in_english_and_french(info.value)

    def test_a_file_that_is_not_utf8(self, db: Session, survey: Survey, tmp_path: Path) -> None:
        path = tmp_path / "panel.csv"
        path.write_bytes((self.HEADER + "ana@example.org,Anaïs,ngo\n").encode("latin-1"))

        english, french = self._refused(db, survey, path)

        assert english == f"{path}: not UTF-8 text; save the file as UTF-8 and try again"
        assert french == (
            f"{path} : ce n’est pas du texte UTF-8 ; enregistrez le fichier en UTF-8 et réessayez"
        )

    @pytest.mark.parametrize(
        ("name", "english", "french"),
        [
            ("missing.csv", "there is no such file", "ce fichier n’existe pas"),
            ("", "it is a folder, not a file", "c’est un dossier, pas un fichier"),
        ],
        ids=["missing", "folder"],
    )
    def test_a_path_that_is_no_file(
        self, db: Session, survey: Survey, tmp_path: Path, name: str, english: str, french: str
    ) -> None:
        path = tmp_path / name

        said = self._refused(db, survey, path)

        assert said == (
            f"{path}: cannot read the file ({english})",
            f"{path} : impossible de lire le fichier ({french})",
        )

    def test_a_field_past_the_csv_modules_limit(
        self, db: Session, survey: Survey, tmp_path: Path
    ) -> None:
        unclosed = self.HEADER + 'ana@example.org,"Ana,ngo\n' + "x" * 140_000 + "\n"
        path = _write(tmp_path, unclosed)

        english, french = self._refused(db, survey, path)

        assert english == (
            f"{path}: line 3: not valid CSV: a field is longer than 131072 characters: is a "
            "closing quotation mark missing?; nothing was imported"
        )
        assert french == (
            f"{path} : ligne 3 : CSV non valide : un champ dépasse 131072 caractères : "
            "manque-t-il un guillemet fermant ? ; rien n’a été importé"
        )

    def test_old_mac_line_endings_in_an_upload_are_read(self, survey: Survey) -> None:
        # A file read from disk has its line endings made "\n"; an upload's text is as sent.
        mac = (self.HEADER + "ana@example.org,Ana,ngo\n").replace("\n", "\r")

        rows = service.parse(mac, survey, "panel.csv")

        assert [(r.email, r.name, r.stakeholder_group) for r in rows] == [
            ("ana@example.org", "Ana", "ngo")
        ]

    def test_a_nul_character(self, db: Session, survey: Survey, tmp_path: Path) -> None:
        path = _write(tmp_path, self.HEADER + "ana@example.org,Ana\x00,ngo\n")

        english, french = self._refused(db, survey, path)

        assert english == (
            f"{path}: 1 problem; nothing was imported\n"
            "  - line 2: contains a NUL character (is this a text CSV file?)"
        )
        assert french == (
            f"{path} : 1 problème ; rien n’a été importé\n"
            "ligne 2 : contient un caractère NUL (est-ce bien un fichier CSV texte ?)"
        )
