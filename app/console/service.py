"""What the console shows about studies and rounds, and its upload and form handling."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import N_, Invalid
from app.file_messages import cannot_read
from app.models import (
    Panelist,
    Round,
    RoundSnapshot,
    RoundState,
    Statement,
    StatementState,
    Survey,
)
from app.panel import service as panel
from app.rounds import deadlines, repository
from app.rounds import service as rounds
from app.rounds.service import RoundStatus
from app.studies import service as studies

MAX_UPLOAD_BYTES = 2_000_000
MAX_FILENAME_LENGTH = 100


@dataclass(frozen=True)
class StudyRow:
    """One line of the studies list."""

    survey: Survey
    rounds: int
    open_round: RoundStatus | None


@dataclass(frozen=True)
class GroupSize:
    key: str
    label: str
    panelists: int


@dataclass(frozen=True)
class StudyView:
    """The study page: panel composition, rounds and what can happen next."""

    survey: Survey
    panel: list[GroupSize]
    panel_total: int
    rounds: list[RoundStatus]
    open_round: Round | None
    statements: Counter[StatementState]
    reported: set[int]  # ids of rounds that have a snapshot
    max_rounds: int

    @property
    def next_number(self) -> int:
        return self.rounds[-1].round.number + 1 if self.rounds else 1


def overview(session: Session, survey_ids: Collection[int]) -> list[StudyRow]:
    """The studies ``survey_ids`` with their round counts and the open round's progress."""
    result = []
    for survey in studies.list_all(session):
        if survey.id not in survey_ids:
            continue
        all_rounds = repository.rounds_of(session, survey)
        open_round = _open(all_rounds)
        result.append(
            StudyRow(
                survey=survey,
                rounds=len(all_rounds),
                open_round=rounds.status(session, open_round) if open_round else None,
            )
        )
    return result


def _open(all_rounds: list[Round]) -> Round | None:
    return next((r for r in all_rounds if r.state == RoundState.OPEN), None)


def study_view(session: Session, survey: Survey) -> StudyView:
    """Panel size per stakeholder group, statement states, rounds with their progress."""
    sizes: dict[str, int] = dict(
        session.execute(
            select(Panelist.stakeholder_group, func.count())
            .where(Panelist.survey_id == survey.id, Panelist.removed_at.is_(None))
            .group_by(Panelist.stakeholder_group)
        ).all()
    )
    states: Counter[StatementState] = Counter(
        dict(
            session.execute(
                select(Statement.state, func.count())
                .where(Statement.survey_id == survey.id)
                .group_by(Statement.state)
            ).all()
        )
    )
    all_rounds = repository.rounds_of(session, survey)
    reported = set(
        session.scalars(
            select(RoundSnapshot.round_id).where(
                RoundSnapshot.round_id.in_([r.id for r in all_rounds])
            )
        )
    )
    return StudyView(
        survey=survey,
        panel=[
            GroupSize(
                key=g["key"], label=survey.group_label(g["key"]), panelists=sizes.get(g["key"], 0)
            )
            for g in survey.stakeholder_groups
        ],
        panel_total=sum(sizes.values()),
        rounds=[rounds.status(session, r) for r in all_rounds],
        open_round=_open(all_rounds),
        statements=states,
        reported=reported,
        max_rounds=survey.max_rounds,
    )


def parse_deadline(text: str) -> dt.datetime | None:
    """A form's deadline: a date (the end of that day, UTC) or an ISO 8601 date and time."""
    return deadlines.parse(text)


def display_filename(filename: str | None, default: str) -> str:
    """The uploaded file's own name, fit to quote in a message; ``default`` if it has none."""
    name = "".join(c for c in (filename or "") if c.isprintable()).rsplit("/", 1)[-1]
    name = name.rsplit("\\", 1)[-1].strip()
    if len(name) > MAX_FILENAME_LENGTH:
        name = name[: MAX_FILENAME_LENGTH - 1] + "…"
    return name or default


def decode_upload(data: bytes, filename: str) -> str:
    """The text of an uploaded file, or ``Invalid`` saying why it cannot be read."""
    if not data:
        raise Invalid(N_("%(file)s: the file is empty (choose a file to upload)"), file=filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid(
            N_("%(file)s: the file is larger than %(size)s MB"),
            file=filename,
            size=MAX_UPLOAD_BYTES // 1_000_000,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise cannot_read(filename, exc) from None
    if "\x00" in text:
        # A text file never holds one, and PostgreSQL refuses to store it.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Invalid(
            N_("%(file)s:%(line)s: contains a NUL character; this is not a text file"),
            file=filename,
            line=line,
        )
    return text


def import_study(session: Session, data: bytes, filename: str, *, actor: str) -> Survey:
    """Validate and import an uploaded study file; nothing is written on error."""
    text = decode_upload(data, filename)
    return studies.create(session, studies.parse(text, filename), text, actor=actor)


def import_panel(
    session: Session, survey: Survey, data: bytes, filename: str, *, actor: str
) -> int:
    """Validate and import an uploaded panel CSV: all rows or none."""
    text = decode_upload(data, filename)
    return panel.import_rows(session, survey, panel.parse(text, survey, filename), actor=actor)
