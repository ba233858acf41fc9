"""Read and check a round answered elsewhere: a long CSV, one row per answer.

Columns: ``round``, ``respondent``, ``statement``, ``criterion``, ``rating`` and, optional,
``cannot_judge``, ``stakeholder_group``, ``reason``. A rating is an integer on the
criterion's scale, or empty (or ``cannot-judge``) with ``cannot_judge`` set; a row with
neither is an unanswered cell and is skipped. Every row is checked before anything is
written, and every problem is listed with its line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from app.errors import Invalid
from app.models import Criterion, Statement, StatementState, Survey

REQUIRED_COLUMNS = ("round", "respondent", "statement", "criterion", "rating")
OPTIONAL_COLUMNS = ("cannot_judge", "stakeholder_group", "reason")
MAX_FILE_BYTES = 50_000_000
MAX_FIELD_LENGTH = 5_000
MAX_PROBLEMS = 50  # listed; the count says how many there were in all
CANNOT_JUDGE_WORDS = {"cannot-judge", "cannot judge", "cj"}
TRUE = {"1", "true", "yes", "x"}
FALSE = {"", "0", "false", "no"}


@dataclass
class ImportedRespondent:
    """One respondent's answers, by the code the other tool gave them."""

    code: str
    group: str
    line: int
    # (statement id, criterion id) -> rating, None for cannot judge
    ratings: dict[tuple[int, int], int | None] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)


@dataclass
class ImportedRound:
    number: int
    statements: list[Statement]
    respondents: list[ImportedRespondent]
    # A rating given together with cannot-judge keeps the rating; each such line is noted.
    warnings: list[str]


def parse(text: str, survey: Survey, statements: list[Statement], filename: str) -> ImportedRound:
    """Check every row of ``text`` against ``survey``; raise ``Invalid`` with each problem.

    ``statements`` are the study's statements that can be rated (no superseded version).
    """
    if len(text) > MAX_FILE_BYTES:
        raise Invalid(f"{filename}: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return _Parser(survey, statements, filename).rows(reader)
    except csv.Error as exc:
        raise Invalid(
            f"{filename}: line {reader.reader.line_num}: not valid CSV: {exc}; nothing was imported"
        ) from None


class _Parser:
    def __init__(self, survey: Survey, statements: list[Statement], filename: str) -> None:
        self.survey = survey
        self.filename = filename
        self.statements = {s.key: s for s in statements}
        self.criteria: dict[str, Criterion] = {c.key: c for c in survey.criteria}
        self.groups = [g["key"] for g in survey.stakeholder_groups]
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.respondents: dict[str, ImportedRespondent] = {}
        self.first_line: dict[tuple[str, int, int], int] = {}
        self.numbers: dict[int, int] = {}

    def rows(self, reader: csv.DictReader[str]) -> ImportedRound:
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise Invalid(
                f"{self.filename}: missing column(s) {', '.join(missing)}; expected a header "
                f"line with {', '.join(REQUIRED_COLUMNS)} and optionally "
                f"{', '.join(OPTIONAL_COLUMNS)}"
            )
        unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise Invalid(f"{self.filename}: unknown column(s) {', '.join(unknown)}")
        reader.fieldnames = header
        for record in reader:
            line = reader.line_num
            if None in record:
                self._problem(line, "more fields than columns in the header")
                continue
            values = {k: (v or "").strip() for k, v in record.items()}
            too_long = [k for k, v in values.items() if len(v) > MAX_FIELD_LENGTH]
            if too_long:
                self._problem(line, f"{too_long[0]}: longer than {MAX_FIELD_LENGTH} characters")
                continue
            self._row(line, values)
        if not self.numbers and not self.problems:
            raise Invalid(f"{self.filename}: no answers in the file")
        if len(self.numbers) > 1:
            lines = ", ".join(f"round {n} on line {line}" for n, line in self.numbers.items())
            self.problems.insert(0, f"one round per file, but the file has {lines}")
        if self.problems:
            shown = self.problems[:MAX_PROBLEMS]
            if len(self.problems) > MAX_PROBLEMS:
                shown.append(f"… and {len(self.problems) - MAX_PROBLEMS} more")
            raise Invalid(
                f"{self.filename}: {len(self.problems)} problem(s); nothing was imported", shown
            )
        rated = {sid for r in self.respondents.values() for sid, _ in r.ratings}
        return ImportedRound(
            number=next(iter(self.numbers)),
            statements=[s for s in self.statements.values() if s.id in rated],
            respondents=list(self.respondents.values()),
            warnings=self.warnings,
        )

    def _problem(self, line: int, message: str) -> None:
        self.problems.append(f"line {line}: {message}")

    def _row(self, line: int, values: dict[str, str]) -> None:
        problems: list[str] = []
        number = _integer(values["round"])
        if number is None or number < 1:
            problems.append(f"round: {values['round']!r} is not a round number (1 or more)")
        elif number not in self.numbers:
            self.numbers[number] = line
        code = values["respondent"]
        if not code:
            problems.append("respondent: empty")
        statement = self.statements.get(values["statement"])
        if statement is None:
            problems.append(f"statement: the study has no statement {values['statement']!r}")
        criterion = self.criteria.get(values["criterion"])
        if criterion is None:
            problems.append(
                f"criterion: {values['criterion']!r} is not one of {', '.join(self.criteria)}"
            )
        group = self._group(values.get("stakeholder_group", ""), problems)
        rating, answered = self._rating(line, values, criterion, problems)
        if problems or statement is None or criterion is None or group is None:
            self.problems += [f"line {line}: {p}" for p in problems]
            return
        respondent = self.respondents.setdefault(code, ImportedRespondent(code, group, line))
        if respondent.group != group:
            self._problem(
                line,
                f"stakeholder_group: {group!r}, but respondent {code!r} is in "
                f"{respondent.group!r} on line {respondent.line}",
            )
            return
        reason = values.get("reason", "")
        if reason:
            earlier = respondent.reasons.setdefault(statement.id, reason)
            if earlier != reason:
                self._problem(
                    line,
                    f"reason: respondent {code!r} already gave another reason on statement "
                    f"{statement.key!r} (one reason per statement)",
                )
                return
        cell = (statement.id, criterion.id)
        first = self.first_line.setdefault((code, *cell), line)
        if first != line:
            self._problem(
                line,
                f"respondent {code!r} already answered {statement.key!r} on "
                f"{criterion.key!r} on line {first}",
            )
            return
        if answered:
            respondent.ratings[cell] = rating

    def _group(self, value: str, problems: list[str]) -> str | None:
        if value:
            if value not in self.groups:
                problems.append(
                    f"stakeholder_group: {value!r} is not one of {', '.join(self.groups)}"
                )
                return None
            return value
        if len(self.groups) == 1:
            return str(self.groups[0])
        problems.append("stakeholder_group: needed, the study has several groups")
        return None

    def _rating(
        self,
        line: int,
        values: dict[str, str],
        criterion: Criterion | None,
        problems: list[str],
    ) -> tuple[int | None, bool]:
        """The rating (None: cannot judge) and whether the cell was answered at all."""
        text = values["rating"]
        flag = values.get("cannot_judge", "").lower()
        if flag not in TRUE | FALSE:
            problems.append(f"cannot_judge: {flag!r} is not 1 or 0")
            return None, False
        cannot_judge = flag in TRUE or text.lower() in CANNOT_JUDGE_WORDS
        if not text or text.lower() in CANNOT_JUDGE_WORDS:
            return None, cannot_judge
        rating = _integer(text)
        if criterion is None:
            return None, False
        if rating is None or not criterion.scale_low <= rating <= criterion.scale_high:
            problems.append(
                f"rating: {text!r} is not a point of the {criterion.key} scale "
                f"{criterion.scale_low}-{criterion.scale_high} (or empty with cannot_judge 1)"
            )
            return None, False
        if cannot_judge:
            self.warnings.append(
                f"line {line}: a rating ({rating}) and cannot-judge: the rating is kept"
            )
        return rating, True


def _integer(text: str) -> int | None:
    """``7`` or ``7.0`` (as spreadsheets write it) as an int; anything else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def rateable(statements: list[Statement]) -> list[Statement]:
    """The statement versions a file may name: every key's version that is not superseded."""
    return [s for s in statements if s.state != StatementState.SUPERSEDED]
