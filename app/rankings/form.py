"""Ranking questions on the questionnaire: the position fields, what makes a proper
ranking, and last round's ranking as the panelist sees it.

Each ranking criterion asks, per topic with two statements or more on the round, for
the statements in order: one position field per statement, ``rank-<statement>-<criterion>``,
holding ``1``..``N`` (N: every statement of the topic, or the criterion's top N) or
nothing (not placed). The page works as a set of ``<select>`` elements; a script
(``app/static/ranking.js``) turns each into a list with move up / move down buttons that
writes the same fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from gettext import NullTranslations
from typing import Any

from app.answers.sheet import AnswerSheet, Cell
from app.models.survey import Translations
from app.rankings.metrics import places
from app.rounds.plan import CriterionInfo, ItemInfo, RoundPlan, SurveyInfo

FIELD_PREFIX = "rank-"

Text = Callable[[Translations], str]  # a study text in the page's language


def field(statement_id: int, criterion_id: int) -> str:
    return f"{FIELD_PREFIX}{statement_id}-{criterion_id}"


@dataclass(frozen=True)
class Group:
    """One ranking question of the round: a ranking criterion over one topic."""

    criterion: CriterionInfo
    topic_id: int
    topic_key: str
    items: tuple[ItemInfo, ...]

    @property
    def places(self) -> int:
        return places(self.criterion.rank_top, len(self.items))

    @property
    def error_field(self) -> str:
        """The field its problems are reported under: the first statement's position."""
        return field(self.items[0].statement_id, self.criterion.id)


def groups(plan: RoundPlan) -> list[Group]:
    """The ranking questions of ``plan``, by criterion then topic (page order)."""
    by_topic: dict[int, list[ItemInfo]] = {}
    for item in plan.items:
        by_topic.setdefault(item.topic_id, []).append(item)
    keys = {t.id: t.key for t in plan.survey.topics}
    return [
        Group(criterion, topic_id, keys.get(topic_id, ""), tuple(items))
        for criterion in plan.survey.rank_criteria
        for topic_id, items in by_topic.items()
        if len(items) >= 2
    ]


def position_limits(plan: RoundPlan) -> dict[Cell, int]:
    """The highest position each ranking field may hold."""
    return {(item.statement_id, g.criterion.id): g.places for g in groups(plan) for item in g.items}


def problems(
    plan: RoundPlan, answers: AnswerSheet, text: Text, translations: NullTranslations
) -> dict[str, str]:
    """Why the rankings in ``answers`` are not proper rankings, by field name.

    Each of the positions 1..N must be given to exactly one statement of the topic: the
    message names the positions given twice (with the statements) and those missing. A
    ranking left wholly empty is no answer, as "cannot judge" is on a scale: a panelist
    may not be able to weigh a topic's strategies against each other.
    ``text`` renders a study text in the page's language.
    """
    gettext, ngettext = translations.gettext, translations.ngettext
    errors: dict[str, str] = {}
    for group in groups(plan):
        given = {
            item.number: answers.ratings.get((item.statement_id, group.criterion.id))
            for item in group.items
        }
        counts = Counter(p for p in given.values() if p is not None)
        if not counts:
            continue
        parts = [
            gettext("position %(position)s is given to statements %(numbers)s")
            % {
                "position": position,
                "numbers": ", ".join(str(n) for n, p in given.items() if p == position),
            }
            for position in sorted(counts)
            if counts[position] > 1
        ]
        missing = [p for p in range(1, group.places + 1) if p not in counts]
        if missing:
            parts.append(
                ngettext(
                    "position %(positions)s is not given",
                    "positions %(positions)s are not given",
                    len(missing),
                )
                % {"positions": ", ".join(str(p) for p in missing)}
            )
        if parts:
            errors[group.error_field] = gettext(
                "%(criterion)s, %(topic)s: %(problems)s. Give each position from 1 to "
                "%(places)s to one statement."
            ) % {
                "criterion": text(group.criterion.label),
                "topic": _topic_title(plan.survey, group.topic_id, text),
                "problems": "; ".join(parts),
                "places": group.places,
            }
    return errors


def _topic_title(survey: SurveyInfo, topic_id: int, text: Text) -> str:
    for topic in survey.topics:
        if topic.id == topic_id:
            return text(topic.title)
    return ""


# ----------------------------------------------------------------- the page


@dataclass(frozen=True)
class RankedItem:
    statement_id: int
    number: int
    text: str
    name: str  # the position field
    selected: int | None
    mean_rank: float | None = None  # last round
    distribution: tuple[int, ...] = ()  # last round: panelists per position 1..N
    own: int | None = None  # this panelist's position last round


@dataclass(frozen=True)
class RankingForm:
    """One ranking question as the questionnaire shows it (items in page order)."""

    id: str
    criterion_label: str
    question: str
    topic_id: int
    places: int
    top: int | None
    items: tuple[RankedItem, ...]
    error: str | None
    feedback_round: int | None  # the round the figures are from, if any
    rankers: int | None
    so_far: bool = False  # the figures are the live panel's (a real-time study)


def forms(
    plan: RoundPlan,
    answers: AnswerSheet,
    errors: Mapping[str, str],
    text: Text,
    previous: PreviousRanking | None,
) -> list[RankingForm]:
    """The questionnaire's ranking questions, prefilled from ``answers``."""
    result = []
    for group in groups(plan):
        figures = previous.question(group) if previous else None
        result.append(
            RankingForm(
                id=f"ranking-{group.criterion.id}-{group.topic_id}",
                criterion_label=text(group.criterion.label),
                question=text(group.criterion.question),
                topic_id=group.topic_id,
                places=group.places,
                top=group.criterion.rank_top,
                items=tuple(
                    _item(group, item, answers, text, figures, previous) for item in group.items
                ),
                error=errors.get(group.error_field),
                feedback_round=previous.number if figures and previous else None,
                rankers=int(figures["rankers"]) if figures else None,
            )
        )
    return result


def _item(
    group: Group,
    item: ItemInfo,
    answers: AnswerSheet,
    text: Text,
    figures: dict[str, Any] | None,
    previous: PreviousRanking | None,
) -> RankedItem:
    cell = (item.statement_id, group.criterion.id)
    entry = _entry(figures, item.statement_id) if figures else None
    return RankedItem(
        statement_id=item.statement_id,
        number=item.number,
        text=text(item.text),
        name=field(*cell),
        selected=answers.ratings.get(cell),
        mean_rank=entry["mean_rank"] if entry else None,
        distribution=tuple(entry["distribution"]) if entry else (),
        own=previous.own.get(cell) if previous and entry else None,
    )


def _entry(figures: dict[str, Any], statement_id: int) -> dict[str, Any] | None:
    for entry in figures["statements"]:
        if entry["statement_id"] == statement_id:
            return dict(entry)
    return None


@dataclass(frozen=True)
class PreviousRanking:
    """Last round's ranking figures (from its snapshot) and this panelist's positions.

    Figures about fewer than ``min_group_size`` rankers are never shown: with two, your
    own ranking and the distribution give away the other's.
    """

    number: int
    rankings: Sequence[dict[str, Any]]
    own: Mapping[Cell, int | None]
    min_group_size: int

    def question(self, group: Group) -> dict[str, Any] | None:
        for figures in self.rankings:
            if (
                figures["criterion"] == group.criterion.key
                and figures["topic"] == group.topic_key
                and int(figures["rankers"]) >= self.min_group_size
            ):
                return figures
        return None
