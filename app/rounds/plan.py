"""A round as it was launched, read once per process and kept: its study, criteria,
topics and statements in page order, and the layout of its answer sets.

Nothing in a plan changes while the round exists: the statements are frozen at launch
(a reword between rounds makes a new statement), and a study's criteria and texts are
fixed at import. So every request for the same round shares one plan instead of loading
some forty ORM objects, and a 500-statement round costs its first visitor what a small
one costs everyone. The cache is keyed by the database, the round id, the moment the
round opened and its number, so a rolled-back or recreated round never meets another's
plan, and a real-time study's live round, renumbered by each checkpoint, gets a fresh one
in every process.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.answers.cells import Layout
from app.models import Criterion, Round, RoundItem, Statement, Survey, Topic, statement_parent
from app.models.survey import Translations

PLANS_KEPT = 256


@dataclass(frozen=True)
class CriterionInfo:
    id: int
    key: str
    position: int
    label: Translations
    question: Translations
    scale_low: int
    scale_high: int
    anchors: dict[str, Any]
    agree_low: int
    agree_high: int
    disagree_low: int
    disagree_high: int
    consensus_rule: dict[str, Any] | None
    kind: str = "rating"
    rank_top: int | None = None

    @property
    def points(self) -> list[int]:
        return list(range(self.scale_low, self.scale_high + 1))

    def places(self, statements: int) -> int:
        """How many positions a ranking of ``statements`` gives: all, or its top N."""
        return statements if self.rank_top is None else min(self.rank_top, statements)


@dataclass(frozen=True)
class TopicInfo:
    id: int
    key: str
    title: Translations


@dataclass(frozen=True)
class ItemInfo:
    """A statement on the round, numbered in page order (by topic, then position).

    ``parent_ids`` are the versions it was made from (a reword's one parent, a split's
    whole, a merge's parts); ``reworded_from`` the chain of versions it rewords, nearest
    first, through which the next round finds last round's results for it.
    """

    statement_id: int
    key: str
    topic_id: int
    number: int
    text: Translations
    origin: str = "seeded"
    version: int = 1
    parent_ids: tuple[int, ...] = ()
    reworded_from: tuple[int, ...] = ()


@dataclass(frozen=True)
class SurveyInfo:
    id: int
    key: str
    title: Translations
    languages: tuple[str, ...]
    stakeholder_groups: tuple[dict[str, Any], ...]
    min_group_size: int
    method: dict[str, Any]
    criteria: tuple[CriterionInfo, ...]  # the rating criteria
    topics: tuple[TopicInfo, ...]
    reasons_per_band: int = 2
    proposals_in_rounds: bool = False
    rank_criteria: tuple[CriterionInfo, ...] = ()
    realtime: bool = False
    feedback_after: int = 5
    max_rounds: int = 3
    group_feedback: bool = False

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def text(self, translations: Translations, language: str | None = None) -> str:
        """``translations`` in ``language``, falling back to the study's first language."""
        return str(translations[self.text_language(translations, language)])

    def text_language(self, translations: Translations, language: str | None = None) -> str:
        """The language :meth:`text` shows ``translations`` in for ``language``."""
        if language and translations.get(language):
            return language
        if translations.get(self.default_language):
            return self.default_language
        return next(iter(translations))


@dataclass(frozen=True)
class RoundPlan:
    round_id: int
    number: int
    survey: SurveyInfo
    items: tuple[ItemInfo, ...]  # page order
    layout: Layout  # round order: the statements' positions on the round
    _by_statement: dict[int, ItemInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_statement", {i.statement_id: i for i in self.items})

    @property
    def statement_ids(self) -> tuple[int, ...]:
        return self.layout.statement_ids

    def item(self, statement_id: int) -> ItemInfo:
        return self._by_statement[statement_id]


_plans: OrderedDict[tuple[str, int, str, int], RoundPlan] = OrderedDict()
_lock = threading.Lock()


def plan_of(
    session: Session, round_id: int, opened_at: dt.datetime | None, number: int
) -> RoundPlan:
    """The plan of round ``round_id`` (opened at ``opened_at``, numbered ``number``), from
    the cache if kept."""
    key = (str(session.get_bind().engine.url), round_id, str(opened_at), number)
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            return plan
    plan = _load(session, round_id)
    if opened_at is not None:  # a draft round may still change
        with _lock:
            _plans[key] = plan
            while len(_plans) > PLANS_KEPT:
                _plans.popitem(last=False)
    return plan


def _load(session: Session, round_id: int) -> RoundPlan:
    round_ = session.get_one(Round, round_id)
    survey = session.get_one(Survey, round_.survey_id)
    every = tuple(
        CriterionInfo(
            id=c.id,
            key=c.key,
            position=c.position,
            label=c.label,
            question=c.question,
            scale_low=c.scale_low,
            scale_high=c.scale_high,
            anchors=c.anchors,
            agree_low=c.agree_low,
            agree_high=c.agree_high,
            disagree_low=c.disagree_low,
            disagree_high=c.disagree_high,
            consensus_rule=c.consensus_rule,
            kind=c.kind.value,
            rank_top=c.rank_top,
        )
        for c in session.scalars(
            select(Criterion).where(Criterion.survey_id == survey.id).order_by(Criterion.position)
        )
    )
    criteria = tuple(c for c in every if c.kind == "rating")
    rank_criteria = tuple(c for c in every if c.kind == "rank")
    topics = tuple(
        TopicInfo(id=t.id, key=t.key, title=t.title)
        for t in session.scalars(
            select(Topic).where(Topic.survey_id == survey.id).order_by(Topic.position)
        )
    )
    rows = session.execute(
        select(
            RoundItem.statement_id,
            RoundItem.position,
            Statement.key,
            Statement.topic_id,
            Statement.text,
            Statement.origin,
            Statement.version,
        )
        .join(Statement, Statement.id == RoundItem.statement_id)
        .where(RoundItem.round_id == round_id)
        .order_by(RoundItem.position)
    ).all()
    topic_order = {t.id: i for i, t in enumerate(topics)}
    paged = sorted(rows, key=lambda r: (topic_order.get(r.topic_id, len(topics)), r.position))
    parents, origins = _lineage(session, survey.id)
    items = tuple(
        ItemInfo(
            statement_id=r.statement_id,
            key=r.key,
            topic_id=r.topic_id,
            number=n,
            text=r.text,
            origin=r.origin.value,
            version=r.version,
            parent_ids=parents.get(r.statement_id, ()),
            reworded_from=_reworded_chain(r.statement_id, parents, origins),
        )
        for n, r in enumerate(paged, start=1)
    )
    info = SurveyInfo(
        id=survey.id,
        key=survey.key,
        title=survey.title,
        languages=tuple(str(language) for language in survey.languages),
        stakeholder_groups=tuple(survey.stakeholder_groups),
        min_group_size=survey.min_group_size,
        method=dict(survey.method),
        criteria=criteria,
        topics=topics,
        reasons_per_band=survey.reasons_per_band,
        proposals_in_rounds=survey.proposals_in_rounds,
        rank_criteria=rank_criteria,
        realtime=survey.is_realtime,
        feedback_after=survey.feedback_after,
        max_rounds=survey.max_rounds,
        group_feedback=survey.group_feedback,
    )
    layout = Layout.of((r.statement_id for r in rows), (c.id for c in criteria + rank_criteria))
    return RoundPlan(
        round_id=round_id, number=round_.number, survey=info, items=items, layout=layout
    )


def _lineage(session: Session, survey_id: int) -> tuple[dict[int, tuple[int, ...]], dict[int, str]]:
    """Every statement's parents and origin in the study."""
    edges = session.execute(
        select(statement_parent.c.statement_id, statement_parent.c.parent_id)
        .join(Statement, Statement.id == statement_parent.c.statement_id)
        .where(Statement.survey_id == survey_id)
        .order_by(statement_parent.c.statement_id, statement_parent.c.parent_id)
    ).all()
    parents: dict[int, tuple[int, ...]] = {}
    for child, parent in edges:
        parents[child] = (*parents.get(child, ()), parent)
    origins = {
        sid: origin.value
        for sid, origin in session.execute(
            select(Statement.id, Statement.origin).where(Statement.survey_id == survey_id)
        )
    }
    return parents, origins


def _reworded_chain(
    statement_id: int, parents: dict[int, tuple[int, ...]], origins: dict[int, str]
) -> tuple[int, ...]:
    chain: list[int] = []
    current = statement_id
    while origins.get(current) == "reworded" and len(parents.get(current, ())) == 1:
        current = parents[current][0]
        chain.append(current)
    return tuple(chain)
