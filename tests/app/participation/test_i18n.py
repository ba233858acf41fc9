"""The panelist pages' fixed phrases in every language."""

from __future__ import annotations

import string

import pytest

from app.participation.i18n import MESSAGES, number, translator


class TestMessages:
    @pytest.mark.parametrize("language", sorted(set(MESSAGES) - {"en"}))
    def test_every_phrase_is_translated_with_the_same_placeholders(self, language: str) -> None:
        english = MESSAGES["en"]
        assert set(MESSAGES[language]) == set(english)
        fields = string.Formatter()
        for key, text in MESSAGES[language].items():
            assert {f for _, f, _, _ in fields.parse(text) if f} == {
                f for _, f, _, _ in fields.parse(english[key]) if f
            }, key

    def test_an_unknown_language_falls_back_to_english(self) -> None:
        assert translator("de")("statement", number=3) == "Statement 3"


class TestNumber:
    @pytest.mark.parametrize(
        ("value", "shown"), [(7.0, "7"), (6.5, "6.5"), (6.25, "6.25"), (2 / 3, "0.67"), (None, "–")]
    )
    def test_statistics_read_as_people_write_them(self, value: float | None, shown: str) -> None:
        assert number(value) == shown
