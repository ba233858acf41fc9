"""Importing a study definition file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid
from app.models import AuditLog, Statement, Survey
from app.studies import service

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "surveys" / "crime-prevention-strategy.yaml"

MINIMAL = """\
key: mini
title: {en: Mini study}
languages: [en, fr]
translation_fallbacks: true
stakeholder_groups:
  - {key: ngo, label: {en: NGOs}}
criteria:
  - key: importance
    label: {en: Importance}
    question: {en: "How important is it?"}
    scale: {low: 1, high: 9}
    consensus: "median >= 7 and agree >= 0.7"
topics:
  - key: cyber
    title: {en: Cybercrime, fr: Cybercriminalité}
    statements:
      - {key: s1, text: {en: First, fr: Premier}}
      - {key: s2, text: {en: Second}}
"""


class TestImportDemoStudy:
    def test_the_shipped_study_imports_whole(self, db: Session) -> None:
        survey = service.import_file(db, DEMO, actor="test")
        assert [t.key for t in survey.topics] == [
            "cybercrime",
            "wildlife-trafficking",
            "violent-extremism",
        ]
        assert all(len(t.statements) >= 8 for t in survey.topics)
        assert [c.key for c in survey.criteria] == ["importance", "feasibility"]
        importance = survey.criteria[0]
        assert (importance.scale_low, importance.scale_high) == (1, 9)
        assert importance.consensus_rule is not None
        assert {g["key"] for g in survey.stakeholder_groups} == {
            "member-state",
            "ngo",
            "academia",
            "private-sector",
            "institute",
        }

    def test_every_statement_is_translated(self, db: Session) -> None:
        survey = service.import_file(db, DEMO, actor="test")
        for statement in survey.statements:
            assert set(statement.text) == set(survey.languages)

    def test_import_is_audited(self, db: Session) -> None:
        survey = service.import_file(db, DEMO, actor="tester")
        log = db.scalar(select(AuditLog).where(AuditLog.survey_id == survey.id))
        assert log is not None
        assert (log.actor, log.action) == ("tester", "survey.import")


class TestDefaults:
    def test_bands_default_to_thirds_of_the_scale(self, db: Session) -> None:
        survey = service.create(db, service.parse(MINIMAL), MINIMAL, actor="test")
        criterion = survey.criteria[0]
        assert (criterion.agree_low, criterion.agree_high) == (7, 9)
        assert (criterion.disagree_low, criterion.disagree_high) == (1, 3)
        assert survey.min_group_size == 5
        assert survey.method["quantile_method"] == "weibull"

    def test_text_falls_back_to_the_default_language(self, db: Session) -> None:
        survey = service.create(db, service.parse(MINIMAL), MINIMAL, actor="test")
        first, second = survey.statements
        assert survey.text(first.text, "fr") == "Premier"
        assert survey.text(second.text, "fr") == "Second"

    def test_the_fallback_choice_is_kept_with_the_study(self, db: Session) -> None:
        """Statements changed between rounds follow it too (app/statements)."""
        allowing = service.create(db, service.parse(MINIMAL), MINIMAL, actor="test")
        strict = service.import_file(db, DEMO, actor="test")
        assert (allowing.translation_fallbacks, strict.translation_fallbacks) == (True, False)


class TestBadFiles:
    def _count(self, db: Session) -> int:
        return int(db.scalar(select(func.count()).select_from(Survey)) or 0)

    def test_errors_name_file_line_and_field(self) -> None:
        bad = MINIMAL.replace("high: 9}", "high: 9}\n    agree: [7, 12]").replace(
            "key: s2", "key: s1"
        )
        with pytest.raises(Invalid) as info:
            service.parse(bad, "study.yaml")
        text = str(info.value)
        assert (
            "study.yaml:12: criteria.0.agree: agree band [7, 12] must lie within the scale" in text
        )

    def test_duplicate_statement_keys_are_reported(self) -> None:
        with pytest.raises(Invalid, match="duplicate key 's1'"):
            service.parse(MINIMAL.replace("key: s2", "key: s1"), "study.yaml")

    def test_unknown_field_gives_its_line(self) -> None:
        with pytest.raises(Invalid) as info:
            service.parse(MINIMAL + "colour: blue\n", "study.yaml")
        assert "study.yaml:19: colour: unknown field: check its spelling" in str(info.value)

    def test_a_bad_consensus_rule_is_explained(self) -> None:
        with pytest.raises(Invalid, match="unknown field 'popularity'"):
            service.parse(MINIMAL.replace("agree >= 0.7", "popularity > 3"), "study.yaml")

    def test_missing_default_language_text(self) -> None:
        with pytest.raises(Invalid, match="no text in the default language 'en'"):
            service.parse(MINIMAL.replace("{en: Second}", "{fr: Deuxième}"), "study.yaml")

    def test_a_missing_translation_names_the_statement_and_the_language(self) -> None:
        strict = MINIMAL.replace("translation_fallbacks: true\n", "")
        with pytest.raises(Invalid) as info:
            service.parse(strict, "study.yaml")
        text = str(info.value)
        assert "title has no text in 'fr'" in text  # the first text found lacking
        translated = (
            strict.replace("{en: Mini study}", "{en: Mini study, fr: Mini étude}")
            .replace("{en: NGOs}", "{en: NGOs, fr: ONG}")
            .replace("{en: Importance}", "{en: Importance, fr: Importance}")
            .replace('{en: "How important is it?"}', '{en: "How important?", fr: "Importance ?"}')
        )
        with pytest.raises(Invalid, match="statement 's2' has no text in 'fr'; translate it"):
            service.parse(translated, "study.yaml")
        service.parse(translated.replace("{en: Second}", "{en: Second, fr: Deuxième}"))

    def test_a_missing_topic_title_is_named_too(self) -> None:
        translated = (
            MINIMAL.replace("translation_fallbacks: true\n", "")
            .replace("{en: Mini study}", "{en: Mini study, fr: Mini étude}")
            .replace("{en: NGOs}", "{en: NGOs, fr: ONG}")
            .replace("{en: Importance}", "{en: Importance, fr: Importance}")
            .replace('{en: "How important is it?"}', '{en: "How important?", fr: "Importance ?"}')
            .replace("{en: Second}", "{en: Second, fr: Deuxième}")
        )
        service.parse(translated)
        untitled = translated.replace("{en: Cybercrime, fr: Cybercriminalité}", "{en: Cybercrime}")
        with pytest.raises(Invalid, match="topic 'cyber' has no text in 'fr'"):
            service.parse(untitled)
        service.parse(untitled + "translation_fallbacks: true\n")

    def test_text_in_undeclared_languages_is_counted(self) -> None:
        extra = MINIMAL.replace("{en: First, fr: Premier}", "{en: First, de: Erste, it: Primo}")
        with pytest.raises(Invalid) as info:
            service.parse(extra, "study.yaml")
        assert (
            "statement 's1' has text in 2 undeclared languages: ['de', 'it']"
            in info.value.problems[0]
        )

    def test_broken_yaml_gives_the_line(self) -> None:
        with pytest.raises(Invalid, match=r"study.yaml:\d+: not valid YAML"):
            service.parse("key: [unclosed\ntitle: x\n", "study.yaml")

    def test_nothing_is_written_on_error(self, db: Session, tmp_path: Path) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text(MINIMAL.replace("low: 1", "low: 10"), encoding="utf-8")
        before = self._count(db)
        with pytest.raises(Invalid):
            service.import_file(db, path)
        assert self._count(db) == before
        assert db.scalar(select(func.count()).select_from(Statement)) == 0

    def test_same_key_twice_is_a_conflict(self, db: Session) -> None:
        service.create(db, service.parse(MINIMAL), MINIMAL, actor="test")
        with pytest.raises(Conflict, match="already exists"):
            service.create(db, service.parse(MINIMAL), MINIMAL, actor="test")

    def test_unreadable_file(self, db: Session, tmp_path: Path) -> None:
        with pytest.raises(Invalid, match="cannot read the file"):
            service.import_file(db, tmp_path / "missing.yaml")
