"""translation_fallbacks: a study's choice to show its default language where a text lacks one

- survey: ``translation_fallbacks``, until now read from the study file at import only. A
  study that allows fallbacks launches a round whose reworded or added statements lack a
  language, shown to those panelists in the default language, marked as not translated.

The upgrade reads the choice from each study's stored definition (its YAML file); a
definition that does not parse keeps the default, no fallbacks. Downgrade drops the column.

Revision ID: 0009_fallbacks
Revises: 0008_rank
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import yaml
from alembic import op

revision: str = "0009_fallbacks"
down_revision: str | None = "0008_rank"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_survey = sa.table(
    "survey",
    sa.column("id", sa.Integer()),
    sa.column("definition", sa.Text()),
    sa.column("translation_fallbacks", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("survey") as batch:
        batch.add_column(
            sa.Column(
                "translation_fallbacks", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    conn = op.get_bind()
    allowed = [
        row.id
        for row in conn.execute(sa.select(_survey.c.id, _survey.c.definition))
        if _allows_fallbacks(row.definition)
    ]
    if allowed:
        conn.execute(
            _survey.update().where(_survey.c.id.in_(allowed)).values(translation_fallbacks=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("survey") as batch:
        batch.drop_column("translation_fallbacks")


def _allows_fallbacks(definition: str | None) -> bool:
    try:
        study = yaml.safe_load(definition or "")
    except yaml.YAMLError:
        return False
    return isinstance(study, dict) and study.get("translation_fallbacks") is True
