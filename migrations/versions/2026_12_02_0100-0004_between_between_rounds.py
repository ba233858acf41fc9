"""between rounds: statement versions and lineage, moderated reasons, endorsements, proposals

Statements get a version number (a reword is a new row with the same key and the next
version) and a many-to-many ``statement_parent`` table, which replaces ``parent_id`` (a
merge has several parents); new origins (split, merged, added), a ``superseded`` state
and a drop reason. Reasons can be hidden with a cause. ``endorsement`` records which of
the previous round's reasons a panelist was shown and marked persuasive; submission
drafts carry those marks and proposals. ``proposal`` replaces the unused ``suggestion``
table without its respondent link or date. Studies get ``feedback`` and ``proposals``
settings.

Revision ID: 0004_between
Revises: 0003_ops
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_between"
down_revision: str | None = "0003_ops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_old_state = sa.Enum("active", "consensus", "dropped", name="statement_state", native_enum=False)
_new_state = sa.Enum(
    "active", "consensus", "dropped", "superseded", name="statement_state", native_enum=False
)
_proposal_state = sa.Enum(
    "pending", "accepted", "merged", "rejected", name="proposal_state", native_enum=False
)
_hidden_cause = sa.Enum(
    "personal-data", "abusive", "identifies-someone", name="hidden_cause", native_enum=False
)

statement = sa.table(
    "statement",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("version", sa.Integer),
    sa.column("origin", sa.String),
    sa.column("state", sa.String),
    sa.column("parent_id", sa.Integer),
)
statement_parent = sa.table(
    "statement_parent", sa.column("statement_id", sa.Integer), sa.column("parent_id", sa.Integer)
)
survey = sa.table("survey", sa.column("id", sa.Integer), sa.column("languages", sa.JSON))
suggestion = sa.table(
    "suggestion",
    sa.column("id", sa.BigInteger),
    sa.column("survey_id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("topic_id", sa.Integer),
    sa.column("respondent_id", sa.BigInteger),
    sa.column("text", sa.Text),
    sa.column("state", sa.String),
    sa.column("statement_id", sa.Integer),
    sa.column("proposed_on", sa.Date),
)
proposal = sa.table(
    "proposal",
    sa.column("id", sa.BigInteger),
    sa.column("survey_id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("topic_id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("language", sa.String),
    sa.column("state", sa.String),
    sa.column("statement_id", sa.Integer),
)


def _create_proposal() -> None:
    op.create_table(
        "proposal",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("state", _proposal_state, nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_proposal_round_id_round"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_proposal_statement_id_statement"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_proposal_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_proposal_topic_id_topic"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
    )


def _create_suggestion() -> None:
    op.create_table(
        "suggestion",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "accepted",
                "merged",
                "rejected",
                name="suggestion_state",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondent.id"],
            name=op.f("fk_suggestion_respondent_id_respondent"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_suggestion_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_suggestion_statement_id_statement")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_suggestion_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topic.id"],
            name=op.f("fk_suggestion_topic_id_topic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
    )


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "statement_parent",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["statement.id"],
            name=op.f("fk_statement_parent_parent_id_statement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_statement_parent_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "parent_id", name=op.f("pk_statement_parent")),
    )
    links = [
        {"statement_id": sid, "parent_id": pid}
        for sid, pid in bind.execute(
            sa.select(statement.c.id, statement.c.parent_id).where(
                statement.c.parent_id.is_not(None)
            )
        )
    ]
    if links:
        bind.execute(sa.insert(statement_parent), links)
    with op.batch_alter_table("statement") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("drop_reason", sa.Text(), nullable=True))
        batch.alter_column(
            "state", existing_type=_old_state, type_=_new_state, existing_nullable=False
        )
        batch.drop_constraint("uq_statement_survey_id_key", type_="unique")
        batch.create_unique_constraint(
            batch.f("uq_statement_survey_id_key_version"), ["survey_id", "key", "version"]
        )
        batch.drop_constraint("fk_statement_parent_id_statement", type_="foreignkey")
        batch.drop_column("parent_id")
    with op.batch_alter_table("statement") as batch:
        batch.alter_column("version", server_default=None)

    with op.batch_alter_table("reason") as batch:
        batch.add_column(sa.Column("hidden_cause", _hidden_cause, nullable=True))
    op.create_table(
        "endorsement",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.BigInteger(), nullable=False),
        sa.Column("reason_id", sa.BigInteger(), nullable=False),
        sa.Column("persuasive", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reason_id"],
            ["reason.id"],
            name=op.f("fk_endorsement_reason_id_reason"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondent.id"],
            name=op.f("fk_endorsement_respondent_id_respondent"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_endorsement_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsement")),
        sa.UniqueConstraint(
            "round_id",
            "respondent_id",
            "reason_id",
            name=op.f("uq_endorsement_round_id_respondent_id_reason_id"),
        ),
    )
    op.create_index(op.f("ix_endorsement_reason_id"), "endorsement", ["reason_id"])
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("draft_persuasive", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("draft_proposals", sa.JSON(), nullable=True))

    # Proposals keep what suggestions held, less the respondent link and the date.
    _create_proposal()
    languages = dict(bind.execute(sa.select(survey.c.id, survey.c.languages)).all())
    rows = [
        {
            "id": row.id,
            "survey_id": row.survey_id,
            "round_id": row.round_id,
            "topic_id": row.topic_id,
            "text": row.text,
            "language": str((languages.get(row.survey_id) or ["en"])[0]),
            "state": row.state,
            "statement_id": row.statement_id,
        }
        for row in bind.execute(sa.select(suggestion))
    ]
    if rows:
        bind.execute(sa.insert(proposal), rows)
    op.drop_table("suggestion")

    with op.batch_alter_table("survey") as batch:
        batch.add_column(sa.Column("feedback", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("proposals", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("survey") as batch:
        batch.alter_column("feedback", server_default=None)
        batch.alter_column("proposals", server_default=None)


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("survey") as batch:
        batch.drop_column("proposals")
        batch.drop_column("feedback")

    _create_suggestion()
    today = dt.datetime.now(dt.UTC).date()
    rows = [
        {
            "id": row.id,
            "survey_id": row.survey_id,
            "round_id": row.round_id,
            "topic_id": row.topic_id,
            "respondent_id": None,
            "text": row.text,
            "state": row.state,
            "statement_id": row.statement_id,
            "proposed_on": today,
        }
        for row in bind.execute(sa.select(proposal))
    ]
    if rows:
        bind.execute(sa.insert(suggestion), rows)
    op.drop_table("proposal")

    with op.batch_alter_table("submission") as batch:
        batch.drop_column("draft_proposals")
        batch.drop_column("draft_persuasive")
    op.drop_index(op.f("ix_endorsement_reason_id"), table_name="endorsement")
    op.drop_table("endorsement")
    with op.batch_alter_table("reason") as batch:
        batch.drop_column("hidden_cause")

    # The old schema knows one parent, unique keys and three origins and states: later
    # versions get their version in the key, the rest the nearest old value.
    first_parent: dict[int, int] = {}
    for sid, pid in bind.execute(
        sa.select(statement_parent.c.statement_id, statement_parent.c.parent_id).order_by(
            statement_parent.c.statement_id, statement_parent.c.parent_id
        )
    ):
        first_parent.setdefault(sid, pid)
    with op.batch_alter_table("statement") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
    for sid, key, version in bind.execute(
        sa.select(statement.c.id, statement.c.key, statement.c.version).where(
            statement.c.version > 1
        )
    ):
        suffix = f"-v{version}"
        bind.execute(
            sa.update(statement)
            .where(statement.c.id == sid)
            .values(key=key[: 80 - len(suffix)] + suffix)
        )
    for sid, pid in first_parent.items():
        bind.execute(sa.update(statement).where(statement.c.id == sid).values(parent_id=pid))
    bind.execute(
        sa.update(statement)
        .where(statement.c.origin.in_(["split", "merged"]))
        .values(origin="reworded")
    )
    bind.execute(sa.update(statement).where(statement.c.origin == "added").values(origin="seeded"))
    bind.execute(
        sa.update(statement).where(statement.c.state == "superseded").values(state="dropped")
    )
    with op.batch_alter_table("statement") as batch:
        batch.create_foreign_key(
            batch.f("fk_statement_parent_id_statement"), "statement", ["parent_id"], ["id"]
        )
        batch.drop_constraint("uq_statement_survey_id_key_version", type_="unique")
        batch.create_unique_constraint(batch.f("uq_statement_survey_id_key"), ["survey_id", "key"])
        batch.alter_column(
            "state", existing_type=_new_state, type_=_old_state, existing_nullable=False
        )
        batch.drop_column("drop_reason")
        batch.drop_column("version")
    op.drop_table("statement_parent")
