"""Pydantic's validation errors said in the reader's language."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any, Literal

import pytest
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from app import i18n
from app.errors import Invalid, Say
from app.studies import service
from app.studies.pydantic_messages import said
from app.studies.schemas import Key, Language, RuleText, SurveyIn, Text
from engine import Summary

# One problem of each common kind, each on a line of its own.
BROKEN = """\
title: {en: Mini study}
languages: [en]
mode: live
colour: blue
translation_fallbacks: perhaps
min_group_size: 0
stakeholder_groups:
  - {key: NGO, label: {en: NGOs}}
criteria:
  - key: importance
    label: {en: Importance}
    question: {en: "How important is it?"}
    scale: {low: one, high: 9}
stopping: {stability_threshold: 1.5}
topics: []
"""

IN_ENGLISH = [
    "study.yaml:1: key: required but missing",
    "study.yaml:3: mode: should be one of 'rounds', 'realtime'",
    "study.yaml:4: colour: unknown field: check its spelling, or remove it",
    "study.yaml:5: translation_fallbacks: should be true or false",
    "study.yaml:6: min_group_size: should be at least 1",
    "study.yaml:8: stakeholder_groups.0.key: should be a key: lower-case letters (a-z), "
    "digits and hyphens, not starting with a hyphen; the maximum length is 80",
    "study.yaml:13: criteria.0.scale.low: should be a whole number",
    "study.yaml:14: stopping.stability_threshold: should be less than 1",
    "study.yaml:15: topics: should not be empty",
]

IN_FRENCH = [
    "study.yaml:1: key: obligatoire mais absent",
    "study.yaml:3: mode: doit être l’une de ces valeurs\xa0: 'rounds', 'realtime'",
    "study.yaml:4: colour: champ inconnu\xa0: vérifiez son orthographe, ou supprimez-le",
    "study.yaml:5: translation_fallbacks: doit valoir true ou false",
    "study.yaml:6: min_group_size: doit valoir au moins 1",
    "study.yaml:8: stakeholder_groups.0.key: doit être une clé\xa0: lettres minuscules (a-z), "
    "chiffres et traits d’union, sans trait d’union au début\u202f; la longueur maximale est 80",
    "study.yaml:13: criteria.0.scale.low: doit être un nombre entier",
    "study.yaml:14: stopping.stability_threshold: doit être inférieur à 1",
    "study.yaml:15: topics: ne doit pas être vide",
]

IN_RUSSIAN = [
    "study.yaml:1: key: обязательное поле не указано",
    "study.yaml:3: mode: должно быть одним из значений: 'rounds', 'realtime'",
    "study.yaml:4: colour: неизвестное поле: проверьте написание или удалите его",
    "study.yaml:5: translation_fallbacks: должно быть true или false",
    "study.yaml:6: min_group_size: должно быть не меньше 1",
    "study.yaml:8: stakeholder_groups.0.key: должно быть ключом: строчные латинские буквы "
    "(a-z), цифры и дефисы, без дефиса в начале; максимальная длина — 80",
    "study.yaml:13: criteria.0.scale.low: должно быть целым числом",
    "study.yaml:14: stopping.stability_threshold: должно быть меньше 1",
    "study.yaml:15: topics: не должно быть пустым",
]


def _problems(language: str) -> list[str]:
    with pytest.raises(Invalid) as info:
        service.parse(BROKEN, "study.yaml")
    with i18n.use_language(language):
        return sorted((problem.text() for problem in info.value.problems), key=_line)


def _line(problem: str) -> int:
    return int(problem.split(":")[1])


def _pydantics_own_words() -> list[str]:
    """What pydantic itself says of the broken file, in English."""
    with pytest.raises(ValidationError) as info:
        SurveyIn.model_validate(yaml.safe_load(BROKEN))
    return [error["msg"] for error in info.value.errors()]


class TestStudyFileProblems:
    def test_each_names_file_line_and_field_in_english(self) -> None:
        assert _problems("en") == IN_ENGLISH

    @pytest.mark.parametrize(
        ("language", "expected"), [("fr", IN_FRENCH), ("ru", IN_RUSSIAN)], ids=["fr", "ru"]
    )
    def test_each_reads_whole_in_the_readers_language(
        self, language: str, expected: list[str]
    ) -> None:
        problems = _problems(language)

        assert problems == expected
        english = _pydantics_own_words()
        assert len(english) == len(problems)
        assert not [words for words in english for p in problems if words in p]

    def test_the_arabic_page_has_no_english_words_but_the_files(self) -> None:
        problems = _problems("ar")

        assert problems[0] == "study.yaml:1: key: مطلوب لكنه مفقود"
        assert problems[2] == "study.yaml:4: colour: حقل غير معروف: تحقق من تهجئته، أو احذفه"
        assert not [p for p in problems if "should" in p or "unknown" in p]

    def test_a_validators_own_message_is_still_translated(self) -> None:
        inverted = BROKEN.replace("low: one", "low: 10")
        with pytest.raises(Invalid) as info:
            service.parse(inverted, "study.yaml")
        with i18n.use_language("fr"):
            texts = [problem.text() for problem in info.value.problems]

        assert "study.yaml:13: criteria.0.scale: high (9) doit être supérieur à low (10)" in texts

    def test_a_consensus_rule_the_engine_refuses_reads_whole_in_french(self) -> None:
        question = '    question: {en: "How important is it?"}\n'
        ruled = BROKEN.replace(question, f"{question}    consensus: popularity >= 7\n")
        with pytest.raises(Invalid) as info:
            service.parse(ruled, "study.yaml")
        [problem] = [p for p in info.value.problems if ": criteria.0.consensus: " in p]
        with i18n.use_language("fr"):
            french = problem.text()

        known = ", ".join(Summary.metric_names())
        assert problem == (
            "study.yaml:13: criteria.0.consensus: unknown field 'popularity' in consensus rule; "
            f"known fields: {known}"
        )
        assert french == (
            "study.yaml:13: criteria.0.consensus: champ inconnu 'popularity' dans la règle de "
            f"consensus\u202f; champs connus\u00a0: {known}"
        )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int


class _Attributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    a: int


class _Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


# Per error type: a type and a value that pydantic refuses with it, and what we say.
CASES: list[tuple[str, Any, object, str]] = [
    ("missing", _Model, {}, "required but missing"),
    (
        "extra_forbidden",
        _Model,
        {"a": 1, "b": 2},
        "unknown field: check its spelling, or remove it",
    ),
    (
        "string_type",
        str,
        12,
        "should be text (in quotes if it looks like a number, a date or true/false)",
    ),
    ("string_unicode", str, b"\xff", "should be text, not binary data"),
    ("int_type", int, [1], "should be a whole number"),
    ("int_parsing", int, "one", "should be a whole number"),
    ("int_parsing_size", int, "9" * 5000, "too many digits for a number"),
    ("int_from_float", int, 1.5, "should be a whole number, without decimals"),
    ("float_type", float, [1], "should be a number"),
    ("float_parsing", float, "abc", "should be a number"),
    ("bool_type", bool, [1], "should be true or false"),
    ("bool_parsing", bool, "perhaps", "should be true or false"),
    ("list_type", list[int], "x", "should be a list"),
    ("tuple_type", tuple[int, int], 7, "should be a list"),
    ("dict_type", dict[str, str], "x", "should be a mapping of names to values"),
    ("model_type", _Model, 3, "should be a mapping of fields"),
    ("model_attributes_type", _Attributes, 3, "should be a mapping of fields"),
    (
        "literal_error",
        Literal["rounds", "realtime", "mixed"],
        "live",
        "should be one of 'rounds', 'realtime', 'mixed'",
    ),
    ("literal_error", Literal[-1, 1], 0, "should be one of -1, 1"),
    ("enum", _Colour, "green", "should be one of 'red', 'blue'"),
    ("greater_than", Annotated[float, Field(gt=0)], 0, "should be greater than 0"),
    ("greater_than_equal", Annotated[int, Field(ge=1)], 0, "should be at least 1"),
    ("less_than", Annotated[float, Field(lt=0.5)], 1, "should be less than 0.5"),
    ("less_than_equal", Annotated[int, Field(le=20)], 21, "should be at most 20"),
    ("string_too_short", Annotated[str, Field(min_length=1)], "", "should not be empty"),
    (
        "string_too_short",
        Annotated[str, Field(min_length=3)],
        "ab",
        "too short: the minimum length is 3",
    ),
    (
        "string_too_long",
        Annotated[str, Field(max_length=3)],
        "abcd",
        "too long: the maximum length is 3",
    ),
    ("too_short", Annotated[list[int], Field(min_length=1)], [], "should not be empty"),
    (
        "too_short",
        Annotated[list[int], Field(min_length=2)],
        [1],
        "too few entries: the minimum is 2",
    ),
    (
        "too_long",
        Annotated[list[int], Field(max_length=1)],
        [1, 2],
        "too many entries: the maximum is 1",
    ),
    ("too_long", tuple[int, int], [1, 2, 3], "too many entries: the maximum is 2"),
    ("date_type", dt.date, [1], "should be a date (YYYY-MM-DD)"),
    ("date_from_datetime_parsing", dt.date, "1 March", "should be a date (YYYY-MM-DD)"),
    (
        "date_from_datetime_inexact",
        dt.date,
        dt.datetime(2027, 3, 1, 9),
        "should be a date (YYYY-MM-DD)",
    ),
    ("datetime_type", dt.datetime, [1], "should be a date and time (YYYY-MM-DD HH:MM)"),
    (
        "datetime_from_date_parsing",
        dt.datetime,
        "soon",
        "should be a date and time (YYYY-MM-DD HH:MM)",
    ),
    (
        "string_pattern_mismatch",
        Key,
        "Not A Key",
        "should be a key: lower-case letters (a-z), digits and hyphens, not starting with a "
        "hyphen; the maximum length is 80",
    ),
    (
        "string_pattern_mismatch",
        Language,
        "English",
        "should be a language code such as en, fr or pt-BR",
    ),
    ("string_pattern_mismatch", Text, "a\x00b", "should not contain a NUL character"),
    (
        "string_pattern_mismatch",
        Annotated[str, Field(pattern=r"^\d+$")],
        "x",
        r"does not have the expected form ^\d+$",
    ),
]


def _error(annotation: Any, value: object) -> ErrorDetails:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(annotation).validate_python(value)
    return info.value.errors()[0]


class TestMapping:
    @pytest.mark.parametrize(("kind", "annotation", "value", "english"), CASES)
    def test_each_type_is_said_in_our_words(
        self, kind: str, annotation: Any, value: object, english: str
    ) -> None:
        error = _error(annotation, value)
        assert error["type"] == kind

        message = said(error)

        assert isinstance(message, Say)
        assert message == english
        with i18n.use_language("fr"):
            assert message.text() != english

    def test_the_parsing_types_pydantic_keeps_for_strict_input(self) -> None:
        for kind, english in [
            ("date_parsing", "should be a date (YYYY-MM-DD)"),
            ("datetime_parsing", "should be a date and time (YYYY-MM-DD HH:MM)"),
        ]:
            error = ErrorDetails(type=kind, loc=("at",), msg="Input should be valid", input="x")
            assert said(error) == english

    @pytest.mark.parametrize(
        "annotation", [str, int, list[int], dict[str, str], _Model], ids=lambda a: str(a)
    )
    def test_an_empty_value_is_said_to_be_empty(self, annotation: Any) -> None:
        assert said(_error(annotation, None)) == "empty: a value is needed here"

    def test_an_unknown_type_keeps_pydantics_words(self) -> None:
        error = _error(uuid.UUID, "not-a-uuid")
        assert error["type"] == "uuid_parsing"

        assert said(error) == error["msg"]
        assert not isinstance(said(error), Say)

    def test_a_validators_own_message_is_kept(self) -> None:
        raised = Say("high (%(high)s) must be greater than low (%(low)s)", {"high": 1, "low": 2})

        assert said(_error(Annotated[int, _raising(raised)], 1)) is raised

    @pytest.mark.parametrize(
        ("rule", "english", "french"),
        [
            (
                "median >= ",
                "consensus rule 'median >= ' ends too early",
                "la règle de consensus 'median >= ' s’arrête trop tôt",
            ),
            (
                "median >= 7 iqr",
                "unexpected 'iqr' at position 11 of consensus rule 'median >= 7 iqr'",
                "'iqr' inattendu à la position 11 de la règle de consensus 'median >= 7 iqr'",
            ),
            (
                "median >= 1e999",
                "the value compared with median must be finite, got inf",
                "la valeur comparée à median doit être finie, et non inf",
            ),
        ],
    )
    def test_the_engines_rule_errors_are_said_in_its_marked_words(
        self, rule: str, english: str, french: str
    ) -> None:
        message = said(_error(RuleText, rule))

        assert isinstance(message, Say)
        assert message == english
        with i18n.use_language("fr"):
            assert message.text() == french

    def test_another_validators_message_loses_only_pydantics_prefix(self) -> None:
        error = _error(Annotated[int, _raising("unknown field 'popularity'")], 1)

        assert said(error) == "unknown field 'popularity'"


def _raising(message: str) -> AfterValidator:
    def refuse(value: int) -> int:
        raise ValueError(message)

    return AfterValidator(refuse)
