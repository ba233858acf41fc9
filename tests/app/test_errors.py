"""Bad requests get a clear 4xx answer, never a 500 or a stack trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, check_and_call_extract_file
from babel.messages.frontend import parse_mapping_cfg
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import app
from app import i18n
from app.api import keys
from app.errors import N_, Conflict, Invalid, N_plural, Say, shown

APP_DIR = Path(app.__file__).resolve().parent


class TestHtmlErrors:
    def test_unknown_page_is_a_404_page(self, client: TestClient) -> None:
        response = client.get("/no/such/page")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "There is no page at this address." in response.text
        assert response.headers["cache-control"] == "no-store"

    def test_security_headers_on_every_page(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


class TestApiErrors:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/studies/crime-prevention-2027/rounds/99999999999999999999/metrics",
            "/api/v1/studies/crime-prevention-2027/rounds/-1/metrics",
            "/api/v1/studies/%00/rounds",
            "/api/v1/studies/" + "a" * 200 + "/rounds",
        ],
    )
    def test_bad_path_values_are_422_without_echoing_them(
        self, client: TestClient, db: Session, survey: object, path: str
    ) -> None:
        key = keys.create(db, name="errors")
        response = client.get(path, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 422
        assert "99999999999999999999" not in response.text
        assert "aaaaaaaaaa" not in response.text


class TestSay:
    def test_is_the_english_text_and_translates_where_shown(self) -> None:
        message = Say(N_("Round %(number)s"), {"number": 3})
        assert message == "Round 3"
        assert isinstance(message, str)
        with i18n.use_language("fr"):
            assert message.text() == "Tour 3"
            assert shown(message) == "Tour 3"
            assert shown("typed by a person") == "typed by a person"

    def test_a_value_that_is_a_message_is_translated_too(self) -> None:
        message = Say(N_("Round %(number)s"), {"number": Say(N_("closed"))})
        assert message == "Round closed"
        with i18n.use_language("fr"):
            assert message.text() == "Tour " + i18n.translate("closed")
            assert i18n.translate("closed") != "closed"

    def test_a_domain_error_keeps_its_values(self) -> None:
        error = Conflict(N_("Round %(number)s"), number=2)
        assert str(error) == "Round 2"
        with i18n.use_language("fr"):
            assert error.text() == "Tour 2"


# A message the services raise (app/panel, app/round_import, app/studies): its Russian forms
# are "проблема" (1, 21), "проблемы" (2-4, 22-24) and "проблем" (0, 5-20, 25-30).
PROBLEMS = N_plural(
    "%(file)s: %(count)s problem; nothing was imported",
    "%(file)s: %(count)s problems; nothing was imported",
)


def _problems(count: int) -> Say:
    return Say(PROBLEMS, {"file": "panel.csv", "count": count})


class TestPlural:
    @pytest.mark.parametrize(
        ("count", "english"),
        [(1, "1 problem"), (0, "0 problems"), (2, "2 problems"), (21, "21 problems")],
    )
    def test_the_english_text_follows_the_number(self, count: int, english: str) -> None:
        assert _problems(count) == f"panel.csv: {english}; nothing was imported"

    @pytest.mark.parametrize(
        ("count", "russian"),
        [
            (1, "1 проблема"),
            (2, "2 проблемы"),
            (5, "5 проблем"),
            (11, "11 проблем"),
            (21, "21 проблема"),
            (22, "22 проблемы"),
            (111, "111 проблем"),
        ],
    )
    def test_russian_takes_the_form_its_grammar_asks_for(self, count: int, russian: str) -> None:
        with i18n.use_language("ru"):
            assert _problems(count).text() == f"panel.csv: {russian}; ничего не импортировано"

    def test_arabic_has_six_forms_and_chinese_one(self) -> None:
        counts = (0, 1, 2, 3, 11, 100)
        with i18n.use_language("ar"):
            arabic = [_problems(n).text() for n in counts]
        with i18n.use_language("zh"):
            chinese = {_problems(n).text().replace(str(n), "N") for n in counts}
        assert len(set(arabic)) == 6
        assert "2 مشكلتان" in arabic[2]
        assert "11 مشكلةً" in arabic[4]
        assert chinese == {"panel.csv：N 个问题；未导入任何内容"}

    def test_a_domain_error_shows_its_plural_in_the_readers_language(self) -> None:
        error = Invalid(PROBLEMS, file="x.csv", count=3)
        assert str(error) == "x.csv: 3 problems; nothing was imported"
        with i18n.use_language("fr"):
            assert error.text() == "x.csv\xa0: 3 problèmes\u202f; rien n’a été importé"
        with i18n.use_language("es"):
            assert Invalid(PROBLEMS, file="x.csv", count=1).text() == (
                "x.csv: 1 problema; no se importó nada"
            )

    def test_the_number_may_have_another_name_and_a_counted_value_nests(self) -> None:
        minutes = N_plural("in %(minutes)s minute", "in %(minutes)s minutes", "minutes")
        assert Say(minutes, {"minutes": 1}) == "in 1 minute"
        assert Say(N_("Round %(number)s"), {"number": Say(minutes, {"minutes": 5})}) == (
            "Round in 5 minutes"
        )

    @pytest.mark.parametrize("values", [{}, {"count": "3"}, {"count": 2.0}])
    def test_a_message_without_a_whole_number_is_a_programming_error(
        self, values: dict[str, object]
    ) -> None:
        with pytest.raises(TypeError, match="needs the number 'count'"):
            Say(PROBLEMS, {"file": "x.csv", **values})


def _extracted(path: Path) -> list[str | tuple[str, ...]]:
    """The messages pybabel takes from ``path``, configured as app/translations/babel.cfg."""
    with (i18n.TRANSLATIONS_DIR / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = check_and_call_extract_file(
        str(path),
        method_map,
        options_map,
        callback=None,
        keywords=DEFAULT_KEYWORDS,
        comment_tags=(),
        strip_comment_tags=False,
        dirpath=str(APP_DIR),
    )
    return [message for _, _, message, _, _ in found]


class TestPluralExtraction:
    """pybabel, run as app/translations/babel.cfg says, sees both forms of ``N_plural``."""

    def test_every_module_that_marks_a_plural_has_it_extracted(self) -> None:
        marking = [
            path
            for path in sorted(APP_DIR.rglob("*.py"))
            if "N_plural(" in path.read_text(encoding="utf-8") and path.name != "errors.py"
        ]
        assert len(marking) > 10
        for path in marking:
            assert any(isinstance(message, tuple) for message in _extracted(path)), path

    def test_the_extracted_entry_has_both_forms(self) -> None:
        found = _extracted(APP_DIR / "console" / "throttle.py")
        assert (
            "Too many failed sign-ins for this account; try again in %(minutes)s minute.",
            "Too many failed sign-ins for this account; try again in %(minutes)s minutes.",
        ) in found
