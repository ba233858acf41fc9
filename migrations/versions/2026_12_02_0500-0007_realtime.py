"""realtime: real-time (roundless) studies with checkpoints and an anonymous answer history

- survey: ``mode`` (rounds or realtime) and ``realtime`` settings (feedback threshold,
  checkpoint schedule);
- round: ``checkpoint_of`` (a checkpoint's live round) and ``revisions`` (how many answers
  the live round had taken when the checkpoint froze them);
- submission: ``first_cells`` (the blind first answers) and ``live_flags`` (per cell:
  answered with feedback in view, confirmed);
- answer_revision: every answer given in a real-time study, without a respondent.

Downgrade drops them (checkpoint rounds stay as ordinary closed rounds).

Revision ID: 0007_realtime
Revises: 0004_between
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_realtime"
down_revision: str | None = "0006_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey") as batch:
        batch.add_column(
            sa.Column(
                "mode",
                sa.Enum("rounds", "realtime", name="survey_mode", native_enum=False),
                nullable=False,
                server_default="rounds",
            )
        )
        batch.add_column(sa.Column("realtime", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("round") as batch:
        batch.add_column(sa.Column("checkpoint_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("revisions", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_round_checkpoint_of_round"),
            "round",
            ["checkpoint_of"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(batch.f("ix_round_checkpoint_of"), ["checkpoint_of"], unique=False)
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("first_cells", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("live_flags", sa.LargeBinary(), nullable=True))
    op.create_table(
        "answer_revision",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("cannot_judge", sa.Boolean(), nullable=False),
        sa.Column("revised", sa.Boolean(), nullable=False),
        sa.Column("informed", sa.Boolean(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["criterion.id"],
            name=op.f("fk_answer_revision_criterion_id_criterion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_answer_revision_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_answer_revision_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_revision")),
    )
    op.create_index(op.f("ix_answer_revision_round_id"), "answer_revision", ["round_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_answer_revision_round_id"), table_name="answer_revision")
    op.drop_table("answer_revision")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("live_flags")
        batch.drop_column("first_cells")
    with op.batch_alter_table("round") as batch:
        batch.drop_index(batch.f("ix_round_checkpoint_of"))
        batch.drop_constraint(batch.f("fk_round_checkpoint_of_round"), type_="foreignkey")
        batch.drop_column("revisions")
        batch.drop_column("checkpoint_of")
    with op.batch_alter_table("survey") as batch:
        batch.drop_column("realtime")
        batch.drop_column("mode")
