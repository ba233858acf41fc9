"""Store and read answer sets: the draft a panelist works on and the set they submitted.

Per respondent and round there is one ``Submission`` row. Saving a draft rewrites its
draft columns; submitting writes the compact submitted set there, replaces the
respondent's ``Response``, ``Reason`` and ``Endorsement`` rows of the round (the
queryable record), and clears the draft. Proposals live in the draft only: submitting
drops them from here, and the caller stores them apart (see app.proposals). Every date
written is a day.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import CursorResult, Update, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from app.answers.cells import Layout
from app.answers.sheet import AnswerSheet, Cell
from app.db import insert_many
from app.models import (
    Base,
    Criterion,
    Endorsement,
    Reason,
    Respondent,
    Response,
    Round,
    Submission,
)
from app.models.base import random_id, today

_RESPONSES = Base.metadata.tables[Response.__tablename__]
_REASONS = Base.metadata.tables[Reason.__tablename__]
_ENDORSEMENTS = Base.metadata.tables[Endorsement.__tablename__]
_SUBMISSIONS = Base.metadata.tables[Submission.__tablename__]
# Built once: constructing a statement and its cache key on every submit cost more than
# running it. One respondent's earlier answer rows, by round and respondent.
_CLEAR = tuple(
    delete(table).where(
        table.c.round_id == bindparam("round_id"),
        table.c.respondent_id == bindparam("respondent_id"),
    )
    for table in (_RESPONSES, _REASONS, _ENDORSEMENTS)
)


@functools.cache
def _update_submission(columns: frozenset[str]) -> Update:
    """The UPDATE of one submission row setting ``columns`` (built once per set)."""
    return (
        update(_SUBMISSIONS)
        .where(
            _SUBMISSIONS.c.round_id == bindparam("where_round"),
            _SUBMISSIONS.c.respondent_id == bindparam("where_respondent"),
        )
        .values({name: bindparam(name) for name in sorted(columns)})
    )


def layout_of(round_: Round, criteria: list[Criterion]) -> Layout:
    """The cell layout of ``round_``'s answer sets (its statements, the study's criteria:
    ``Survey.answer_criteria``, rating then ranking)."""
    return Layout.of((item.statement_id for item in round_.items), (c.id for c in criteria))


@dataclass(frozen=True)
class Stored:
    """What one respondent has stored for one round."""

    submission: Submission | None
    draft: AnswerSheet | None
    submitted: AnswerSheet | None

    @property
    def working(self) -> AnswerSheet:
        """What the questionnaire shows: the draft, else what was submitted, else nothing."""
        return self.draft or self.submitted or AnswerSheet()

    @property
    def pending_changes(self) -> bool:
        """Submitted, then changed in a draft that differs from what was submitted."""
        if self.submitted is None or self.draft is None:
            return False
        return self.draft != self.submitted


def load(session: Session, round_id: int, respondent_id: int | None, layout: Layout) -> Stored:
    """The draft and submitted answer sets of a respondent (``None`` before their first save)."""
    if respondent_id is None:
        return Stored(None, None, None)
    submission = _submission(session, round_id, respondent_id)
    if submission is None:
        return Stored(None, None, None)
    draft = None
    if (
        submission.draft_cells is not None
        or submission.draft_reasons
        or submission.draft_persuasive
        or submission.draft_proposals
    ):
        draft = AnswerSheet(
            ratings=layout.decode(submission.draft_cells),
            reasons={int(k): str(v) for k, v in (submission.draft_reasons or {}).items()},
            persuasive={int(v) for v in submission.draft_persuasive or []},
            proposals={int(k): str(v) for k, v in (submission.draft_proposals or {}).items()},
        )
    submitted = None
    if submission.cells is not None:
        reasons = session.execute(
            select(Reason.statement_id, Reason.text).where(
                Reason.round_id == round_id, Reason.respondent_id == respondent_id
            )
        )
        persuasive = session.scalars(
            select(Endorsement.reason_id).where(
                Endorsement.round_id == round_id,
                Endorsement.respondent_id == respondent_id,
                Endorsement.persuasive.is_(True),
            )
        )
        submitted = AnswerSheet(
            ratings=layout.decode(submission.cells),
            reasons=dict(reasons.all()),
            persuasive=set(persuasive),
        )
    return Stored(submission, draft, submitted)


def save_draft(
    session: Session, round_id: int, respondent_id: int, layout: Layout, sheet: AnswerSheet
) -> None:
    """Replace the respondent's draft with ``sheet``; what they submitted stays as it was."""
    _write(
        session,
        round_id,
        respondent_id,
        draft_cells=layout.encode(sheet.ratings),
        draft_reasons={str(k): v for k, v in sheet.reasons.items() if v},
        draft_persuasive=sorted(sheet.persuasive),
        draft_proposals={str(k): v for k, v in sheet.proposals.items() if v},
        updated_on=today(),
    )


def submit(
    session: Session,
    round_id: int,
    respondent_id: int,
    layout: Layout,
    sheet: AnswerSheet,
    *,
    language: str,
    shown_reasons: Collection[int] = (),
) -> None:
    """Make ``sheet`` the respondent's submitted answer set, replacing any earlier one.

    ``language`` is the language the reasons were written in (the page's);
    ``shown_reasons`` the previous round's reasons the questionnaire showed them, of which
    ``sheet.persuasive`` are those they marked persuasive.
    """
    day = today()
    _write(
        session,
        round_id,
        respondent_id,
        cells=layout.encode(sheet.ratings),
        draft_cells=None,
        draft_reasons=None,
        draft_persuasive=None,
        draft_proposals=None,
        submitted_on=day,
        updated_on=day,
    )
    # Core statements on the tables: no answer row is loaded in this session to keep in step.
    connection = session.connection()
    for clear in _CLEAR:
        connection.execute(clear, {"round_id": round_id, "respondent_id": respondent_id})
    rows = [
        {
            "id": random_id(),
            "round_id": round_id,
            "respondent_id": respondent_id,
            "statement_id": sid,
            "criterion_id": cid,
            "rating": rating,
            "cannot_judge": rating is None,
            "answered_on": day,
        }
        for (sid, cid), rating in sheet.ratings.items()
    ]
    # Core inserts (COPY on PostgreSQL): the ORM's bulk path costs more per row than the
    # database does.
    insert_many(session, Response, rows)
    reasons = [
        {
            "id": random_id(),
            "round_id": round_id,
            "respondent_id": respondent_id,
            "statement_id": sid,
            "text": text,
            "language": language,
            "answered_on": day,
        }
        for sid, text in sheet.reasons.items()
        if text
    ]
    insert_many(session, Reason, reasons)
    endorsements = [
        {
            "id": random_id(),
            "round_id": round_id,
            "respondent_id": respondent_id,
            "reason_id": reason_id,
            "persuasive": reason_id in sheet.persuasive,
        }
        for reason_id in sorted(set(shown_reasons))
    ]
    insert_many(session, Endorsement, endorsements)


def submitted_ratings(
    session: Session, round_id: int, respondent_id: int, layout: Layout
) -> dict[Cell, int | None]:
    """The ratings a respondent submitted in a round (empty if they did not submit)."""
    cells = session.scalar(
        select(Submission.cells).where(
            Submission.round_id == round_id, Submission.respondent_id == respondent_id
        )
    )
    return layout.decode(cells)


@dataclass(frozen=True)
class RoundAnswers:
    """Every submitted answer set of a round, rows ordered by respondent id."""

    respondent_ids: npt.NDArray[np.int64]
    groups: list[str]
    cells: npt.NDArray[np.int16]  # (respondents x statements x criteria), see app.answers.cells


def submitted(session: Session, round_id: int, layout: Layout) -> RoundAnswers:
    """The submitted answer sets of a round, read in one query."""
    rows = session.execute(
        select(Submission.respondent_id, Respondent.stakeholder_group, Submission.cells)
        .join(Respondent, Respondent.id == Submission.respondent_id)
        .where(Submission.round_id == round_id, Submission.cells.is_not(None))
        .order_by(Submission.respondent_id)
    ).all()
    return RoundAnswers(
        respondent_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        groups=[r[1] for r in rows],
        cells=layout.stack([r[2] for r in rows if r[2] is not None]),
    )


def _submission(session: Session, round_id: int, respondent_id: int) -> Submission | None:
    return session.scalar(
        select(Submission).where(
            Submission.round_id == round_id, Submission.respondent_id == respondent_id
        )
    )


def _write(session: Session, round_id: int, respondent_id: int, **values: Any) -> None:
    """Set ``values`` on the respondent's submission row, creating it on the first save.

    One UPDATE in the usual case. Two first saves of one respondent cannot race: the
    caller holds the panelist's row lock (PostgreSQL) or the write turn (SQLite).
    """
    changed = session.connection().execute(
        _update_submission(frozenset(values)),
        {"where_round": round_id, "where_respondent": respondent_id, **values},
    )
    if cast(CursorResult[Any], changed).rowcount == 0:
        session.execute(
            insert(Submission).values(
                id=random_id(), round_id=round_id, respondent_id=respondent_id, **values
            )
        )
