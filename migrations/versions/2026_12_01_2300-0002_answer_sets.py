"""answer sets: compact submitted and draft sets on submission; reasons carry a language

Drafts move out of the response and reason tables into the submission row (draft_cells,
draft_reasons); those tables keep the submitted answers only, so their ``kind`` column
goes. The submitted set is also stored compactly in submission.cells: one little-endian
int16 per statement (round_item position order) and criterion (position order), -32768
for unanswered and -32767 for "cannot judge".

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNANSWERED = -32768
CANNOT_JUDGE = -32767

_kind = sa.Enum("draft", "submitted", name="answer_kind", native_enum=False)

submission = sa.table(
    "submission",
    sa.column("id", sa.BigInteger),
    sa.column("round_id", sa.Integer),
    sa.column("respondent_id", sa.BigInteger),
    sa.column("submitted_on", sa.Date),
    sa.column("cells", sa.LargeBinary),
    sa.column("draft_cells", sa.LargeBinary),
    sa.column("draft_reasons", sa.JSON),
)
response = sa.table(
    "response",
    sa.column("id", sa.BigInteger),
    sa.column("round_id", sa.Integer),
    sa.column("respondent_id", sa.BigInteger),
    sa.column("statement_id", sa.Integer),
    sa.column("criterion_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("rating", sa.Integer),
    sa.column("cannot_judge", sa.Boolean),
    sa.column("answered_on", sa.Date),
)
reason = sa.table(
    "reason",
    sa.column("id", sa.BigInteger),
    sa.column("round_id", sa.Integer),
    sa.column("respondent_id", sa.BigInteger),
    sa.column("statement_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
    sa.column("answered_on", sa.Date),
)
round_ = sa.table("round", sa.column("id", sa.Integer), sa.column("survey_id", sa.Integer))
round_item = sa.table(
    "round_item",
    sa.column("round_id", sa.Integer),
    sa.column("statement_id", sa.Integer),
    sa.column("position", sa.Integer),
)
criterion = sa.table(
    "criterion",
    sa.column("id", sa.Integer),
    sa.column("survey_id", sa.Integer),
    sa.column("position", sa.Integer),
)


def _layouts(bind: sa.Connection) -> dict[int, dict[tuple[int, int], int]]:
    """Per round id, the cell index of each (statement id, criterion id)."""
    criteria: dict[int, list[int]] = {}
    for cid, survey_id in bind.execute(
        sa.select(criterion.c.id, criterion.c.survey_id).order_by(
            criterion.c.survey_id, criterion.c.position
        )
    ):
        criteria.setdefault(survey_id, []).append(cid)
    statements: dict[int, list[int]] = {}
    surveys: dict[int, int] = dict(bind.execute(sa.select(round_.c.id, round_.c.survey_id)).all())
    for rid, sid in bind.execute(
        sa.select(round_item.c.round_id, round_item.c.statement_id).order_by(
            round_item.c.round_id, round_item.c.position
        )
    ):
        statements.setdefault(rid, []).append(sid)
    layouts = {}
    for rid, sids in statements.items():
        cids = criteria.get(surveys[rid], [])
        layouts[rid] = {
            (sid, cid): i * len(cids) + c
            for i, sid in enumerate(sids)
            for c, cid in enumerate(cids)
        }
    return layouts


def _encode(index: dict[tuple[int, int], int], cells: dict[tuple[int, int], int | None]) -> bytes:
    values = np.full(len(index), UNANSWERED, dtype="<i2")
    for cell, rating in cells.items():
        if cell in index:
            values[index[cell]] = CANNOT_JUDGE if rating is None else rating
    return values.tobytes()


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("cells", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("draft_cells", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("draft_reasons", sa.JSON(), nullable=True))
    with op.batch_alter_table("reason") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))

    bind = op.get_bind()
    layouts = _layouts(bind)
    sets: dict[tuple[int, int, str], dict[tuple[int, int], int | None]] = {}
    for rid, resp, sid, cid, kind, rating, cj in bind.execute(
        sa.select(
            response.c.round_id,
            response.c.respondent_id,
            response.c.statement_id,
            response.c.criterion_id,
            response.c.kind,
            response.c.rating,
            response.c.cannot_judge,
        )
    ):
        sets.setdefault((rid, resp, kind), {})[(sid, cid)] = None if cj else rating
    drafted_reasons: dict[tuple[int, int], dict[str, str]] = {}
    submitted_reasons: dict[tuple[int, int], dict[str, str]] = {}
    for rid, resp, sid, kind, text in bind.execute(
        sa.select(
            reason.c.round_id,
            reason.c.respondent_id,
            reason.c.statement_id,
            reason.c.kind,
            reason.c.text,
        )
    ):
        target = drafted_reasons if kind == "draft" else submitted_reasons
        target.setdefault((rid, resp), {})[str(sid)] = text
    for sub_id, rid, resp, submitted_on in bind.execute(
        sa.select(
            submission.c.id,
            submission.c.round_id,
            submission.c.respondent_id,
            submission.c.submitted_on,
        )
    ):
        index = layouts.get(rid, {})
        done = sets.get((rid, resp, "submitted"))
        draft = sets.get((rid, resp, "draft"))
        draft_reasons = drafted_reasons.get((rid, resp))
        values: dict[str, Any] = {}
        if submitted_on is not None and done is not None:
            values["cells"] = _encode(index, done)
        # The old code kept a draft copy of every submitted set; a copy is no draft.
        copy = draft == done and (draft_reasons or {}) == submitted_reasons.get((rid, resp), {})
        if (draft is not None or draft_reasons) and not (submitted_on is not None and copy):
            values["draft_cells"] = _encode(index, draft or {})
            values["draft_reasons"] = draft_reasons or {}
        if values:
            bind.execute(submission.update().where(submission.c.id == sub_id).values(**values))
    bind.execute(response.delete().where(response.c.kind == "draft"))
    bind.execute(reason.delete().where(reason.c.kind == "draft"))

    with op.batch_alter_table("response") as batch:
        # op.f(): a name past PostgreSQL's 63 characters is cut and hashed, as 0001 did.
        batch.drop_constraint(
            op.f("uq_response_round_id_respondent_id_statement_id_criterion_id_kind"),
            type_="unique",
        )
        batch.drop_column("kind")
        batch.create_unique_constraint(
            batch.f("uq_response_round_id_respondent_id_statement_id_criterion_id"),
            ["round_id", "respondent_id", "statement_id", "criterion_id"],
        )
    with op.batch_alter_table("reason") as batch:
        batch.drop_constraint(
            op.f("uq_reason_round_id_respondent_id_statement_id_kind"), type_="unique"
        )
        batch.drop_column("kind")
        batch.create_unique_constraint(
            batch.f("uq_reason_round_id_respondent_id_statement_id"),
            ["round_id", "respondent_id", "statement_id"],
        )


def _decode(index: dict[tuple[int, int], int], blob: bytes) -> dict[tuple[int, int], int | None]:
    values = np.frombuffer(blob, dtype="<i2")
    return {
        cell: None if int(values[i]) == CANNOT_JUDGE else int(values[i])
        for cell, i in index.items()
        if i < values.size and int(values[i]) != UNANSWERED
    }


def _random_id() -> int:
    return secrets.randbelow(2**53 - 1) + 1


def downgrade() -> None:
    with op.batch_alter_table("response") as batch:
        batch.drop_constraint(
            op.f("uq_response_round_id_respondent_id_statement_id_criterion_id"), type_="unique"
        )
        batch.add_column(sa.Column("kind", _kind, nullable=False, server_default="submitted"))
    with op.batch_alter_table("reason") as batch:
        batch.drop_constraint(op.f("uq_reason_round_id_respondent_id_statement_id"), type_="unique")
        batch.add_column(sa.Column("kind", _kind, nullable=False, server_default="submitted"))

    bind = op.get_bind()
    layouts = _layouts(bind)
    for rid, resp, blob, draft_reasons, updated in bind.execute(
        sa.select(
            submission.c.round_id,
            submission.c.respondent_id,
            submission.c.draft_cells,
            submission.c.draft_reasons,
            sa.column("updated_on", sa.Date),
        ).select_from(submission)
    ):
        if blob:
            rows = [
                {
                    "id": _random_id(),
                    "round_id": rid,
                    "respondent_id": resp,
                    "statement_id": sid,
                    "criterion_id": cid,
                    "kind": "draft",
                    "rating": rating,
                    "cannot_judge": rating is None,
                    "answered_on": updated,
                }
                for (sid, cid), rating in _decode(layouts.get(rid, {}), blob).items()
            ]
            if rows:
                bind.execute(response.insert(), rows)
        if draft_reasons:
            bind.execute(
                reason.insert(),
                [
                    {
                        "id": _random_id(),
                        "round_id": rid,
                        "respondent_id": resp,
                        "statement_id": int(sid),
                        "kind": "draft",
                        "text": text,
                        "answered_on": updated,
                    }
                    for sid, text in draft_reasons.items()
                ],
            )

    with op.batch_alter_table("response") as batch:
        batch.alter_column("kind", server_default=None)
        batch.create_unique_constraint(
            op.f("uq_response_round_id_respondent_id_statement_id_criterion_id_kind"),
            ["round_id", "respondent_id", "statement_id", "criterion_id", "kind"],
        )
    with op.batch_alter_table("reason") as batch:
        batch.alter_column("kind", server_default=None)
        batch.drop_column("language")
        batch.create_unique_constraint(
            op.f("uq_reason_round_id_respondent_id_statement_id_kind"),
            ["round_id", "respondent_id", "statement_id", "kind"],
        )
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("draft_reasons")
        batch.drop_column("draft_cells")
        batch.drop_column("cells")
