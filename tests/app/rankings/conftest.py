"""A small study with a ranking question over two topics, and the panel that answers it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.models import Panelist, Survey
from app.studies import service as studies
from tests.app.console.conftest import facilitator as facilitator  # console sign-in
from tests.app.console.conftest import signed_in as signed_in
from tests.app.participation.conftest import add_panelist
from tests.app.participation.conftest import enter as enter  # the panelist-link fixture

RANKING_STUDY = """
key: ranking-study
title: {en: "Ranking study"}
languages: [en, fr]
translation_fallbacks: true
stakeholder_groups:
  - {key: member-state, label: {en: "Member states"}}
  - {key: ngo, label: {en: "NGOs"}}
min_group_size: 3
criteria:
  - key: importance
    label: {en: "Importance"}
    question: {en: "How important is it?"}
    scale: {low: 1, high: 5}
  - key: priority
    kind: rank
    label: {en: "Priority", fr: "Priorité"}
    question: {en: "Order the strategies of this topic by priority."}
topics:
  - key: cyber
    title: {en: "Cybercrime"}
    statements:
      - {key: c1, text: {en: "Train prosecutors"}}
      - {key: c2, text: {en: "Share threat data"}}
      - {key: c3, text: {en: "Fund hotlines"}}
      - {key: c4, text: {en: "Harmonise laws"}}
  - key: wildlife
    title: {en: "Wildlife"}
    statements:
      - {key: w1, text: {en: "Port inspections"}}
      - {key: w2, text: {en: "Demand campaigns"}}
      - {key: w3, text: {en: "Ranger training"}}
"""

TOP_STUDY = RANKING_STUDY.replace("key: ranking-study", "key: top-study").replace(
    "    kind: rank\n", "    kind: rank\n    top: 2\n"
)


@pytest.fixture
def ranking_survey(db: Session) -> Survey:
    return studies.create(db, studies.parse(RANKING_STUDY), RANKING_STUDY, actor="test")


@pytest.fixture
def top_survey(db: Session) -> Survey:
    return studies.create(db, studies.parse(TOP_STUDY), TOP_STUDY, actor="test")


@pytest.fixture
def ranking_panel(db: Session, ranking_survey: Survey) -> list[Panelist]:
    return [
        add_panelist(db, ranking_survey, n, group=("member-state", "ngo")[n % 2]) for n in range(6)
    ]
