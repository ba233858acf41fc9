"""team: per-study roles, one-time password links, API keys with scope, expiry, last use

``membership`` gives an account a role (owner, facilitator, observer) in one study;
``account_token`` holds the SHA-256 of one-time links that set a password (an invited
colleague's first one, a reset). An invited account has no password yet, so
``facilitator.password_hash`` becomes nullable. API keys get a study scope, an expiry,
the day they were last used and who created them.

Accounts from before roles could open every study: each becomes owner of every existing
study, so nobody loses access and every study has an owner.

Revision ID: 0005_team
Revises: 0004_between
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_team"
down_revision: str | None = "0004_between"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_role = sa.Enum("owner", "facilitator", "observer", name="team_role", native_enum=False)
_purpose = sa.Enum("invite", "reset", name="token_purpose", native_enum=False)


def upgrade() -> None:
    op.create_table(
        "membership",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("role", _role, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["facilitator.id"],
            name=op.f("fk_membership_facilitator_id_facilitator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_membership_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint(
            "survey_id", "facilitator_id", name=op.f("uq_membership_survey_id_facilitator_id")
        ),
    )
    op.create_index(
        op.f("ix_membership_facilitator_id"), "membership", ["facilitator_id"], unique=False
    )
    op.create_table(
        "account_token",
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("purpose", _purpose, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["facilitator.id"],
            name=op.f("fk_account_token_facilitator_id_facilitator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_token_hash")),
    )
    op.create_index(
        op.f("ix_account_token_facilitator_id"), "account_token", ["facilitator_id"], unique=False
    )
    with op.batch_alter_table("facilitator") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(length=200), nullable=True)
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("survey_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_used_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("created_by", sa.String(length=320), nullable=False, server_default="cli")
        )
        batch.create_index(batch.f("ix_api_key_survey_id"), ["survey_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_api_key_survey_id_survey"),
            "survey",
            ["survey_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("api_key") as batch:
        batch.alter_column("created_by", server_default=None)

    # Every account from before roles keeps what it had: every study, as its owner.
    bind = op.get_bind()
    pairs = bind.execute(
        sa.text("SELECT survey.id, facilitator.id FROM survey CROSS JOIN facilitator")
    ).all()
    if pairs:
        membership = sa.table(
            "membership",
            sa.column("survey_id", sa.Integer),
            sa.column("facilitator_id", sa.Integer),
            sa.column("role", sa.String),
            sa.column("created_at", sa.DateTime(timezone=True)),
        )
        now = dt.datetime.now(dt.UTC)
        op.bulk_insert(
            membership,
            [
                {"survey_id": s, "facilitator_id": f, "role": "owner", "created_at": now}
                for s, f in pairs
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_constraint(batch.f("fk_api_key_survey_id_survey"), type_="foreignkey")
        batch.drop_index(batch.f("ix_api_key_survey_id"))
        batch.drop_column("created_by")
        batch.drop_column("last_used_on")
        batch.drop_column("expires_at")
        batch.drop_column("survey_id")
    # An invited account that never set a password cannot sign in before or after: '!'
    # is no Argon2 hash, so no password matches it.
    op.execute("UPDATE facilitator SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table("facilitator") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(length=200), nullable=False)
    op.drop_index(op.f("ix_account_token_facilitator_id"), table_name="account_token")
    op.drop_table("account_token")
    op.drop_index(op.f("ix_membership_facilitator_id"), table_name="membership")
    op.drop_table("membership")
