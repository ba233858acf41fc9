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

from app.errors import N_, Invalid, Joined, N_plural, Say
from app.file_messages import csv_problem
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
    warnings: list[Say]


def parse(text: str, survey: Survey, statements: list[Statement], filename: str) -> ImportedRound:
    """Check every row of ``text`` against ``survey``; raise ``Invalid`` with each problem.

    ``statements`` are the study's statements that can be rated (no superseded version).
    """
    if len(text) > MAX_FILE_BYTES:
        raise Invalid(
            N_("%(file)s: the file is larger than %(size)s MB"),
            file=filename,
            size=MAX_FILE_BYTES // 1_000_000,
        )
    if "\x00" in text:  # PostgreSQL refuses to store it, and no text file holds one
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Invalid(
            N_("%(file)s: line %(line)s: contains a NUL character; not a text file"),
            file=filename,
            line=line,
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _Parser(survey, statements, filename).rows(reader)
    except csv.Error as exc:
        raise Invalid(
            N_("%(file)s: line %(line)s: not valid CSV: %(problem)s; nothing was imported"),
            file=filename,
            line=reader.reader.line_num,
            problem=csv_problem(exc),
        ) from None


class _Parser:
    def __init__(self, survey: Survey, statements: list[Statement], filename: str) -> None:
        self.survey = survey
        self.filename = filename
        self.statements = {s.key: s for s in statements}
        self.criteria: dict[str, Criterion] = {c.key: c for c in survey.criteria}
        self.groups = [g["key"] for g in survey.stakeholder_groups]
        self.problems: list[Say] = []
        self.warnings: list[Say] = []
        self.respondents: dict[str, ImportedRespondent] = {}
        self.first_line: dict[tuple[str, int, int], int] = {}
        self.numbers: dict[int, int] = {}

    def rows(self, reader: csv.DictReader[str]) -> ImportedRound:
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise Invalid(
                N_plural(
                    "%(file)s: %(count)s column missing: %(missing)s; expected a header line with "
                    "%(required)s and optionally %(optional)s",
                    "%(file)s: %(count)s columns missing: %(missing)s; expected a header line with "
                    "%(required)s and optionally %(optional)s",
                ),
                file=self.filename,
                missing=", ".join(missing),
                count=len(missing),
                required=", ".join(REQUIRED_COLUMNS),
                optional=", ".join(OPTIONAL_COLUMNS),
            )
        unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise Invalid(
                N_plural(
                    "%(file)s: %(count)s unknown column: %(unknown)s",
                    "%(file)s: %(count)s unknown columns: %(unknown)s",
                ),
                file=self.filename,
                unknown=", ".join(unknown),
                count=len(unknown),
            )
        reader.fieldnames = header
        for record in reader:
            line = reader.line_num
            if None in record:
                self._problem(line, Say(N_("more fields than columns in the header")))
                continue
            values = {k: (v or "").strip() for k, v in record.items()}
            too_long = [k for k, v in values.items() if len(v) > MAX_FIELD_LENGTH]
            if too_long:
                self._problem(
                    line,
                    Say(
                        N_plural(
                            "%(column)s: longer than %(most)s character",
                            "%(column)s: longer than %(most)s characters",
                            "most",
                        ),
                        {"column": too_long[0], "most": MAX_FIELD_LENGTH},
                    ),
                )
                continue
            self._row(line, values)
        if not self.numbers and not self.problems:
            raise Invalid(N_("%(file)s: no answers in the file"), file=self.filename)
        if len(self.numbers) > 1:
            lines = Joined(
                [
                    Say(N_("round %(number)s on line %(line)s"), {"number": n, "line": line})
                    for n, line in self.numbers.items()
                ],
                ", ",
            )
            self.problems.insert(
                0, Say(N_("one round per file, but the file has %(rounds)s"), {"rounds": lines})
            )
        if self.problems:
            listed = self.problems[:MAX_PROBLEMS]
            if len(self.problems) > MAX_PROBLEMS:
                listed.append(
                    Say(
                        N_plural("… and %(count)s more problem", "… and %(count)s more problems"),
                        {"count": len(self.problems) - MAX_PROBLEMS},
                    )
                )
            raise Invalid(
                N_plural(
                    "%(file)s: %(count)s problem; nothing was imported",
                    "%(file)s: %(count)s problems; nothing was imported",
                ),
                listed,
                file=self.filename,
                count=len(self.problems),
            )
        rated = {sid for r in self.respondents.values() for sid, _ in r.ratings}
        return ImportedRound(
            number=next(iter(self.numbers)),
            statements=[s for s in self.statements.values() if s.id in rated],
            respondents=list(self.respondents.values()),
            warnings=self.warnings,
        )

    def _problem(self, line: int, message: Say) -> None:
        self.problems.append(
            Say(N_("line %(line)s: %(problem)s"), {"line": line, "problem": message})
        )

    def _row(self, line: int, values: dict[str, str]) -> None:
        problems: list[Say] = []
        number = _integer(values["round"])
        if number is None or number < 1:
            problems.append(
                Say(
                    N_("round: %(value)r is not a round number (1 or more)"),
                    {"value": values["round"]},
                )
            )
        elif number not in self.numbers:
            self.numbers[number] = line
        code = values["respondent"]
        if not code:
            problems.append(Say(N_("respondent: empty")))
        statement = self.statements.get(values["statement"])
        if statement is None:
            problems.append(
                Say(
                    N_("statement: the study has no statement %(key)r"),
                    {"key": values["statement"]},
                )
            )
        criterion = self.criteria.get(values["criterion"])
        if criterion is None:
            problems.append(
                Say(
                    N_("criterion: %(value)r is not one of %(keys)s"),
                    {"value": values["criterion"], "keys": ", ".join(self.criteria)},
                )
            )
        group = self._group(values.get("stakeholder_group", ""), problems)
        rating, answered = self._rating(line, values, criterion, problems)
        if problems or statement is None or criterion is None or group is None:
            for problem in problems:
                self._problem(line, problem)
            return
        respondent = self.respondents.setdefault(code, ImportedRespondent(code, group, line))
        if respondent.group != group:
            self._problem(
                line,
                Say(
                    N_(
                        "stakeholder_group: %(group)r, but respondent %(code)r is in "
                        "%(earlier)r on line %(line)s"
                    ),
                    {
                        "group": group,
                        "code": code,
                        "earlier": respondent.group,
                        "line": respondent.line,
                    },
                ),
            )
            return
        reason = values.get("reason", "")
        if reason:
            earlier = respondent.reasons.setdefault(statement.id, reason)
            if earlier != reason:
                self._problem(
                    line,
                    Say(
                        N_(
                            "reason: respondent %(code)r already gave another reason on "
                            "statement %(key)r (one reason per statement)"
                        ),
                        {"code": code, "key": statement.key},
                    ),
                )
                return
        cell = (statement.id, criterion.id)
        first = self.first_line.setdefault((code, *cell), line)
        if first != line:
            self._problem(
                line,
                Say(
                    N_(
                        "respondent %(code)r already answered %(key)r on %(criterion)r "
                        "on line %(first)s"
                    ),
                    {
                        "code": code,
                        "key": statement.key,
                        "criterion": criterion.key,
                        "first": first,
                    },
                ),
            )
            return
        if answered:
            respondent.ratings[cell] = rating

    def _group(self, value: str, problems: list[Say]) -> str | None:
        if value:
            if value not in self.groups:
                problems.append(
                    Say(
                        N_("stakeholder_group: %(value)r is not one of %(keys)s"),
                        {"value": value, "keys": ", ".join(self.groups)},
                    )
                )
                return None
            return value
        if len(self.groups) == 1:
            return str(self.groups[0])
        problems.append(Say(N_("stakeholder_group: needed, the study has several groups")))
        return None

    def _rating(
        self,
        line: int,
        values: dict[str, str],
        criterion: Criterion | None,
        problems: list[Say],
    ) -> tuple[int | None, bool]:
        """The rating (None: cannot judge) and whether the cell was answered at all."""
        text = values["rating"]
        flag = values.get("cannot_judge", "").lower()
        if flag not in TRUE | FALSE:
            problems.append(Say(N_("cannot_judge: %(value)r is not 1 or 0"), {"value": flag}))
            return None, False
        cannot_judge = flag in TRUE or text.lower() in CANNOT_JUDGE_WORDS
        if not text or text.lower() in CANNOT_JUDGE_WORDS:
            return None, cannot_judge
        rating = _integer(text)
        if criterion is None:
            return None, False
        if rating is None or not criterion.scale_low <= rating <= criterion.scale_high:
            problems.append(
                Say(
                    N_(
                        "rating: %(value)r is not a point of the %(criterion)s scale "
                        "%(low)s-%(high)s (or empty with cannot_judge 1)"
                    ),
                    {
                        "value": text,
                        "criterion": criterion.key,
                        "low": criterion.scale_low,
                        "high": criterion.scale_high,
                    },
                )
            )

            return None, False
        if cannot_judge:
            self.warnings.append(
                Say(
                    N_("line %(line)s: a rating (%(rating)s) and cannot-judge: the rating is kept"),
                    {"line": line, "rating": rating},
                )
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
