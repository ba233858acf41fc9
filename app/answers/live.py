"""Answers of a real-time study: statement by statement, every change kept anonymously.

A real-time study has one long open round. A panelist submits the statements they
answered (not necessarily all); each submit merges those into their submitted set,
keeps their blind first answer per cell (``first_cells``) and per cell two flags
(``live_flags``): :data:`INFORMED`, the answer stands as given (or kept) with the panel's
feedback in view, and :data:`CONFIRMED`, kept unchanged after seeing it. Every first
answer and every change is also written to ``answer_revision`` without a respondent, so
the history says how answers moved, never whose. Checkpoints copy the submitted sets
into a closed round of their own (:func:`copy_round`), which a round close then reads.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.answers import service
from app.answers.cells import CANNOT_JUDGE, DTYPE, UNANSWERED, Layout
from app.answers.sheet import AnswerSheet, Cell
from app.models import AnswerRevision, Base, Reason, Response, Submission
from app.models.base import random_id, today

INFORMED = 1
CONFIRMED = 2

_REVISIONS = Base.metadata.tables[AnswerRevision.__tablename__]
_RESPONSES = Base.metadata.tables[Response.__tablename__]
_REASONS = Base.metadata.tables[Reason.__tablename__]


@dataclass(frozen=True)
class LiveSet:
    """One respondent's submitted cells after a submit, in :class:`Layout` order."""

    respondent_id: int
    cells: npt.NDArray[np.int16]  # (statements x criteria)


def submit_statements(
    session: Session,
    round_id: int,
    respondent_id: int,
    layout: Layout,
    sheet: AnswerSheet,
    cells: Collection[Cell],
    *,
    language: str,
    in_view: Collection[Cell],
    confirmed: Collection[int],
    reasons_for: Collection[int],
) -> LiveSet:
    """Make ``sheet``'s answers in ``cells`` (statement, criterion) the respondent's
    current ones: a statement's ratings, a topic's positions on a ranking criterion.

    ``in_view`` are the cells whose feedback the panelist could see before this submit;
    ``confirmed`` the statements they said they keep as they are. The reason of each
    statement of ``reasons_for`` is replaced by the sheet's (none if it has none).
    """
    row = session.execute(
        select(Submission.cells, Submission.first_cells, Submission.live_flags).where(
            Submission.round_id == round_id, Submission.respondent_id == respondent_id
        )
    ).first()
    current = _values(layout, row.cells if row else None)
    first = _values(layout, row.first_cells if row else None)
    flags = _flags(layout, row.live_flags if row else None)
    posted = _values(layout, layout.encode(sheet.ratings))
    day = today()
    history: list[dict[str, Any]] = []
    row_of = {sid: i for i, sid in enumerate(layout.statement_ids)}
    column_of = {cid: c for c, cid in enumerate(layout.criterion_ids)}
    chosen: dict[int, list[int]] = {}
    for sid, cid in cells:
        chosen.setdefault(row_of[sid], []).append(column_of[cid])
    for i, columns in sorted(chosen.items()):
        sid = layout.statement_ids[i]
        # Kept "as it is" only if none of the cells submitted together moved.
        changed = any(current[i, c] != posted[i, c] for c in columns)
        for c in columns:
            old, new = int(current[i, c]), int(posted[i, c])
            seen = (sid, layout.criterion_ids[c]) in in_view
            if changed:
                flags[i, c] = INFORMED if seen else 0
            elif seen and sid in confirmed:
                flags[i, c] = INFORMED | CONFIRMED
            if old == new:
                continue
            if old == UNANSWERED:
                first[i, c] = new
            history.append(
                {
                    "id": random_id(),
                    "round_id": round_id,
                    "statement_id": sid,
                    "criterion_id": layout.criterion_ids[c],
                    "rating": None if new < 0 else new,
                    "cannot_judge": new == CANNOT_JUDGE,
                    "revised": old != UNANSWERED,
                    "informed": seen,
                    "answered_on": day,
                }
            )
            current[i, c] = new
    service._write(
        session,
        round_id,
        respondent_id,
        cells=current.tobytes(),
        first_cells=first.tobytes(),
        live_flags=flags.tobytes(),
        draft_cells=None,
        draft_reasons=None,
        draft_persuasive=None,
        draft_proposals=None,
        submitted_on=day,
        updated_on=day,
    )
    ids = [layout.statement_ids[i] for i in sorted(chosen)]
    _replace_rows(
        session, round_id, respondent_id, layout, current, sheet, ids, reasons_for, language, day
    )
    if history:
        session.connection().execute(insert(_REVISIONS), history)
    return LiveSet(respondent_id, current)


def _replace_rows(
    session: Session,
    round_id: int,
    respondent_id: int,
    layout: Layout,
    current: npt.NDArray[np.int16],
    sheet: AnswerSheet,
    statement_ids: list[int],
    reasons_for: Collection[int],
    language: str,
    day: Any,
) -> None:
    """The queryable record (``Response``, ``Reason``) of the statements just submitted."""
    if not statement_ids:
        return
    mine = (Response.round_id == round_id, Response.respondent_id == respondent_id)
    session.execute(delete(Response).where(*mine, Response.statement_id.in_(statement_ids)))
    if reasons_for:
        session.execute(
            delete(Reason).where(
                Reason.round_id == round_id,
                Reason.respondent_id == respondent_id,
                Reason.statement_id.in_(reasons_for),
            )
        )
    decoded = layout.decode(current.tobytes())
    wanted = set(statement_ids)
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
        for (sid, cid), rating in decoded.items()
        if sid in wanted
    ]
    connection = session.connection()
    if rows:
        connection.execute(insert(_RESPONSES), rows)
    reasons = [
        {
            "id": random_id(),
            "round_id": round_id,
            "respondent_id": respondent_id,
            "statement_id": sid,
            "text": sheet.reasons[sid],
            "language": language,
            "answered_on": day,
        }
        for sid in reasons_for
        if sheet.reasons.get(sid)
    ]
    if reasons:
        connection.execute(insert(_REASONS), reasons)


@dataclass(frozen=True)
class LiveAnswers:
    """Every respondent's cells of a live round, rows ordered by respondent id."""

    respondent_ids: npt.NDArray[np.int64]
    cells: npt.NDArray[np.int16]  # current answers (respondents x statements x criteria)
    first: npt.NDArray[np.int16]  # blind first answers
    flags: npt.NDArray[np.int16]  # INFORMED | CONFIRMED per cell


def read(session: Session, round_id: int, layout: Layout) -> LiveAnswers:
    """The current, first and flag cells of everyone who submitted, in one query."""
    rows = session.execute(
        select(
            Submission.respondent_id,
            Submission.cells,
            Submission.first_cells,
            Submission.live_flags,
        )
        .where(Submission.round_id == round_id, Submission.cells.is_not(None))
        .order_by(Submission.respondent_id)
    ).all()
    empty = layout.encode({})
    zeros = np.zeros(layout.size, dtype=DTYPE).tobytes()
    return LiveAnswers(
        respondent_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        cells=layout.stack([r[1] or empty for r in rows]),
        first=layout.stack([r[2] or empty for r in rows]),
        flags=layout.stack([r[3] or zeros for r in rows]),
    )


def own_flags(
    session: Session, round_id: int, respondent_id: int | None, layout: Layout
) -> npt.NDArray[np.int16] | None:
    """One respondent's flags per statement and criterion (``None`` before a submit)."""
    if respondent_id is None:
        return None
    blob = session.scalar(
        select(Submission.live_flags).where(
            Submission.round_id == round_id, Submission.respondent_id == respondent_id
        )
    )
    return _flags(layout, blob) if blob else None


def revisions(session: Session, round_id: int) -> int:
    """How many answers (first or revised) the live round has taken."""
    return int(session.scalar(select(func.count()).where(AnswerRevision.round_id == round_id)) or 0)


def copy_round(session: Session, source_id: int, target_id: int) -> int:
    """Copy the submitted sets of round ``source_id`` (and their response and reason rows)
    into round ``target_id``, with ids of their own; how many sets."""
    sets = session.execute(
        select(Submission.respondent_id, Submission.cells, Submission.submitted_on).where(
            Submission.round_id == source_id, Submission.cells.is_not(None)
        )
    ).all()
    connection = session.connection()
    if sets:
        connection.execute(
            insert(Submission),
            [
                {
                    "id": random_id(),
                    "round_id": target_id,
                    "respondent_id": r.respondent_id,
                    "cells": r.cells,
                    "submitted_on": r.submitted_on,
                    "updated_on": r.submitted_on,
                }
                for r in sets
            ],
        )
    responses = session.execute(
        select(
            Response.respondent_id,
            Response.statement_id,
            Response.criterion_id,
            Response.rating,
            Response.cannot_judge,
            Response.answered_on,
        ).where(Response.round_id == source_id)
    ).all()
    if responses:
        connection.execute(
            insert(_RESPONSES),
            [{"id": random_id(), "round_id": target_id, **r._asdict()} for r in responses],
        )
    reasons = session.execute(
        select(
            Reason.respondent_id,
            Reason.statement_id,
            Reason.text,
            Reason.language,
            Reason.answered_on,
            Reason.hidden_cause,
        ).where(Reason.round_id == source_id)
    ).all()
    if reasons:
        connection.execute(
            insert(_REASONS),
            [{"id": random_id(), "round_id": target_id, **r._asdict()} for r in reasons],
        )
    return len(sets)


def _values(layout: Layout, blob: bytes | None) -> npt.NDArray[np.int16]:
    width = (len(layout.statement_ids), len(layout.criterion_ids))
    if not blob:
        return np.full(width, UNANSWERED, dtype=DTYPE)
    values: npt.NDArray[np.int16] = layout.stack([blob])[0].copy()
    return values


def _flags(layout: Layout, blob: bytes | None) -> npt.NDArray[np.int16]:
    width = (len(layout.statement_ids), len(layout.criterion_ids))
    if not blob:
        return np.zeros(width, dtype=DTYPE)
    values: npt.NDArray[np.int16] = layout.stack([blob])[0].copy()
    return values
