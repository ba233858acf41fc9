"""Load a closed round answered elsewhere (on paper, in another survey tool).

The round is stored exactly as a round answered here would be once closed: its items,
one respondent per code of the file (a pseudonym: an HMAC of the code under the server
secret, so the same code in a later file is the same respondent and paired change works,
while the code itself is stored nowhere), their answer sets written through
``app.answers``, and the snapshot computed by the same close step. Reports, the API and
the exports then serve it like any other round. All of it happens in the caller's
transaction: a file with any problem writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet
from app.audit import record
from app.errors import N_, Conflict, Invalid, N_plural, Say
from app.file_messages import cannot_read
from app.models import (
    Respondent,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Statement,
    Survey,
    SurveyState,
    Topic,
)
from app.models.base import random_id, utcnow
from app.round_import import parse
from app.rounds import repository, snapshot
from app.rounds import service as rounds
from app.security import imported_respondent_key


@dataclass(frozen=True)
class Imported:
    round: Round
    snapshot: RoundSnapshot
    respondents: int
    warnings: list[Say]


def import_text(
    session: Session, survey: Survey, text: str, filename: str, *, actor: str
) -> Imported:
    """Check ``text`` (see :mod:`app.round_import.parse`) and store it as a closed round."""
    if survey.state == SurveyState.FINISHED:
        raise Conflict(N_("study %(key)r is finished"), key=survey.key)
    if repository.open_round(session, survey) is not None:
        raise Conflict(N_("study %(key)r has an open round; close it first"), key=survey.key)
    statements = parse.rateable(_statements(session, survey))
    found = parse.parse(text, survey, statements, filename)
    _check_number(session, survey, found.number, filename)
    round_ = Round(
        survey_id=survey.id,
        number=found.number,
        state=RoundState.CLOSED,
        opened_at=utcnow(),
        closed_at=utcnow(),
    )
    round_.items = [RoundItem(statement=s, position=i) for i, s in enumerate(found.statements)]
    session.add(round_)
    session.flush()
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    ids = _respondents(session, survey, found.respondents)
    for respondent in found.respondents:
        answers_store.submit(
            session,
            round_.id,
            ids[respondent.code],
            layout,
            AnswerSheet(ratings=respondent.ratings, reasons=respondent.reasons),
            language=survey.default_language,
        )
    result = rounds.store(session, survey, round_, snapshot.compute(session, survey, round_))
    record(
        session,
        actor,
        "round.import",
        survey.id,
        {
            "round": found.number,
            "statements": len(found.statements),
            "respondents": len(found.respondents),
        },
    )
    return Imported(round_, result, len(found.respondents), found.warnings)


def import_file(session: Session, survey: Survey, path: Path, *, actor: str = "cli") -> Imported:
    """:func:`import_text` on a file (UTF-8)."""
    try:
        if path.stat().st_size > parse.MAX_FILE_BYTES:
            raise Invalid(
                N_("%(file)s: the file is larger than %(size)s MB"),
                file=path,
                size=parse.MAX_FILE_BYTES // 1_000_000,
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise cannot_read(path, exc) from None
    return import_text(session, survey, text, str(path), actor=actor)


def import_upload(
    session: Session, survey: Survey, data: bytes, filename: str, *, actor: str
) -> Imported:
    """:func:`import_text` on an uploaded file's bytes (UTF-8)."""
    if len(data) > parse.MAX_FILE_BYTES:
        raise Invalid(
            N_("%(file)s: the file is larger than %(size)s MB"),
            file=filename,
            size=parse.MAX_FILE_BYTES // 1_000_000,
        )
    if not data:
        raise Invalid(N_("choose a CSV file to upload"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise cannot_read(filename, exc) from None
    return import_text(session, survey, text, filename, actor=actor)


def _statements(session: Session, survey: Survey) -> list[Statement]:
    """The study's statements in questionnaire order: by topic, then position."""
    return list(
        session.scalars(
            select(Statement)
            .join(Topic, Topic.id == Statement.topic_id)
            .where(Statement.survey_id == survey.id)
            .order_by(Topic.position, Statement.position, Statement.version)
        )
    )


def _check_number(session: Session, survey: Survey, number: int, filename: str) -> None:
    latest = repository.latest(session, survey)
    if latest is not None and number <= latest.number:
        raise Conflict(
            N_(
                "%(file)s: the study already has round %(number)s; a round answered elsewhere "
                "must come after it (round %(next)s or later)"
            ),
            file=filename,
            number=latest.number,
            next=latest.number + 1,
        )
    if number > survey.max_rounds:
        raise Conflict(
            N_plural(
                "%(file)s: round %(number)s is past the study's maximum of %(most)s round",
                "%(file)s: round %(number)s is past the study's maximum of %(most)s rounds",
                "most",
            ),
            file=filename,
            number=number,
            most=survey.max_rounds,
        )


def _respondents(
    session: Session, survey: Survey, found: list[parse.ImportedRespondent]
) -> dict[str, int]:
    """The respondent id of each code, created where the study has not seen it before."""
    keys = {r.code: imported_respondent_key(survey.id, r.code) for r in found}
    existing = dict(
        session.execute(
            select(Respondent.key, Respondent.id).where(Respondent.key.in_(keys.values()))
        ).all()
    )
    new: list[dict[str, Any]] = [
        {
            "id": random_id(),
            "survey_id": survey.id,
            "key": keys[r.code],
            "stakeholder_group": r.group,
        }
        for r in found
        if keys[r.code] not in existing
    ]
    if new:
        session.execute(insert(Respondent), new)
        existing.update({row["key"]: row["id"] for row in new})
    return {code: existing[key] for code, key in keys.items()}
