"""rank: ranking questions

Criteria get a ``kind`` (``rating``, the scales there were so far, or ``rank``: the
statements of each topic put in order) and ``rank_top``, a ranking's top N (``NULL``:
order them all).

Revision ID: 0008_rank
Revises: 0004_between
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_rank"
down_revision: str | None = "0007_realtime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_kind = sa.Enum("rating", "rank", name="criterion_kind", native_enum=False)


def upgrade() -> None:
    with op.batch_alter_table("criterion") as batch:
        batch.add_column(sa.Column("kind", _kind, nullable=False, server_default="rating"))
        batch.add_column(sa.Column("rank_top", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("criterion") as batch:
        batch.drop_column("rank_top")
        batch.drop_column("kind")
