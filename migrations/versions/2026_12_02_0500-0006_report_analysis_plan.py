"""report: the pre-registered analysis plan and its amendments

``analysis_plan`` holds a study's definitions frozen at the launch of round 1, with the
SHA-256 of their canonical JSON; ``plan_amendment`` each later change with its author,
time, reason and the hash after it.

Revision ID: 0006_report
Revises: 0004_between
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_report"
down_revision: str | None = "0005_team"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_plan",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_by", sa.String(length=320), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_analysis_plan_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_plan")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_analysis_plan_survey_id")),
    )
    op.create_table(
        "plan_amendment",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["analysis_plan.id"],
            name=op.f("fk_plan_amendment_plan_id_analysis_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_amendment")),
    )


def downgrade() -> None:
    op.drop_table("plan_amendment")
    op.drop_table("analysis_plan")
