"""ops: outbox leases and rounds, scheduled reminders, panel removal, study settings

- outbox: ``round_id`` and ``panelist_id`` (what a mail is about), ``lease_until`` (until
  when a ``sending`` row belongs to the worker that claimed it) and the ``cancelled`` state;
- scheduled_reminder: reminders due before a round's deadline;
- panelist: ``removed_at``, and ``email`` may be NULL (erased on removal);
- survey: ``reminder_days`` and ``reinvite_non_responders``.

Rows left ``sending`` by a worker of the old schema get a lease of 15 minutes from the
upgrade (the old warning threshold), after which any worker sends them again.

Downgrade: cancelled mail becomes failed, and removed panelists are deleted (their links
go with them; their anonymous answers stay).

Revision ID: 0003_ops
Revises: 0002
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_ops"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = ("pending", "sending", "sent", "failed")
NEW_STATES = (*OLD_STATES, "cancelled")
LEGACY_LEASE = dt.timedelta(minutes=15)

outbox = sa.table(
    "outbox",
    sa.column("state", sa.String),
    sa.column("lease_until", sa.DateTime(timezone=True)),
)
panelist = sa.table(
    "panelist",
    sa.column("id", sa.Integer),
    sa.column("removed_at", sa.DateTime(timezone=True)),
)


def _state(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="outbox_state", native_enum=False)


def upgrade() -> None:
    op.create_table(
        "scheduled_reminder",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", "skipped", "cancelled", name="job_state", native_enum=False),
            nullable=False,
        ),
        sa.Column("reminded", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_scheduled_reminder_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_reminder")),
    )
    with op.batch_alter_table("scheduled_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_reminder_round_id"), ["round_id"], unique=False
        )
        batch_op.create_index(
            "ix_scheduled_reminder_state_due_at", ["state", "due_at"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("panelist_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "state",
            existing_type=_state(OLD_STATES),
            type_=_state(NEW_STATES),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_outbox_panelist_id"), ["panelist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_round_id"), ["round_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_panelist_id_panelist"),
            "panelist",
            ["panelist_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_round_id_round"),
            "round",
            ["round_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.execute(
        outbox.update()
        .where(outbox.c.state == "sending")
        .values(lease_until=dt.datetime.now(dt.UTC) + LEGACY_LEASE)
    )

    with op.batch_alter_table("panelist", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=True)

    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_days", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "reinvite_non_responders", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_column("reinvite_non_responders")
        batch_op.drop_column("reminder_days")

    op.execute(panelist.delete().where(panelist.c.removed_at.is_not(None)))
    with op.batch_alter_table("panelist", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_column("removed_at")

    op.execute(outbox.update().where(outbox.c.state == "cancelled").values(state="failed"))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_round_id_round"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_outbox_panelist_id_panelist"), type_="foreignkey")
        batch_op.drop_index("ix_outbox_state_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_outbox_round_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_panelist_id"))
        batch_op.alter_column(
            "state",
            existing_type=_state(NEW_STATES),
            type_=_state(OLD_STATES),
            existing_nullable=False,
        )
        batch_op.drop_column("lease_until")
        batch_op.drop_column("panelist_id")
        batch_op.drop_column("round_id")

    with op.batch_alter_table("scheduled_reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_reminder_state_due_at")
        batch_op.drop_index(batch_op.f("ix_scheduled_reminder_round_id"))
    op.drop_table("scheduled_reminder")
