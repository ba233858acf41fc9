"""Import a study definition file into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict, Invalid, N_plural, Say
from app.file_messages import cannot_read
from app.models import Criterion, CriterionKind, Statement, Survey, SurveyMode, Topic
from app.studies import yaml_messages
from app.studies.pydantic_messages import said as _said
from app.studies.repository import get_by_key as get_by_key
from app.studies.repository import get_by_key_or_raise as get_by_key_or_raise
from app.studies.repository import list_all as list_all
from app.studies.schemas import CriterionIn, SurveyIn, as_plain

# Far beyond any real study (the demo study: 24 kB, 6 levels deep, 555 values).
MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 32
MAX_VALUES = 100_000


def parse(text: str, filename: str = "<study>") -> SurveyIn:
    """Validate a study file; errors name the file, line and field.

    The file's shape is checked first, by streaming its parse events: PyYAML builds
    documents recursively (so a deep enough nesting raises ``RecursionError``), and
    anchors and aliases can make a small file expand into billions of values.
    """
    if len(text) > MAX_FILE_BYTES:
        raise Invalid(
            N_("%(file)s: the file is larger than %(size)s MB"),
            file=filename,
            size=MAX_FILE_BYTES // 1_000_000,
        )
    node: yaml.Node | None = None
    try:
        _check_shape(text, filename)
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = yaml_messages.line(exc, text)
        raise Invalid(
            N_("%(file)s: not valid YAML: %(problem)s"),
            file=f"{filename}:{line}" if line else filename,
            problem=yaml_messages.said(exc),
        ) from None
    except ValueError:  # a date that does not exist, which PyYAML leaves to Python to refuse
        impossible = yaml_messages.impossible_date(node) if node is not None else None
        if impossible is None:
            raise
        line, problem = impossible
        raise Invalid(
            N_("%(file)s: not valid YAML: %(problem)s"),
            file=f"{filename}:{line}",
            problem=problem,
        ) from None
    if not isinstance(data, dict):
        raise Invalid(N_("%(file)s: a study file must be a mapping of fields"), file=filename)
    try:
        return SurveyIn.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [p for p in error["loc"] if not (isinstance(p, str) and "[" in p)]
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(node, loc)
            # Not marked: the file, line and field need no words; the message is translated.
            where = f"{filename}:{line}: {field}"
            problems.append(
                Say("%(where)s: %(problem)s", {"where": where, "problem": _said(error)})
            )
        raise Invalid(
            N_plural(
                "%(file)s: %(count)s problem; nothing was imported",
                "%(file)s: %(count)s problems; nothing was imported",
            ),
            problems,
            file=filename,
            count=len(problems),
        ) from None


def _check_shape(text: str, filename: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and more than ``MAX_VALUES`` values,
    counting each alias as the values it stands for."""
    open_sizes: list[int] = []  # values in each collection being read, itself included
    open_anchors: list[str | None] = []
    anchored: dict[str, int] = {}
    values = 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = open_sizes.pop(), open_anchors.pop()
            if anchor is not None:
                anchored[anchor] = size
            if open_sizes:
                open_sizes[-1] += size
            continue
        if isinstance(event, yaml.AliasEvent):
            size = anchored.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            size = 1
        else:
            continue
        line = event.start_mark.line + 1 if event.start_mark else 0
        values += size
        if values > MAX_VALUES:
            raise Invalid(
                N_plural(
                    "%(file)s:%(line)s: more than %(most)s value in the file",
                    "%(file)s:%(line)s: more than %(most)s values in the file",
                ),
                file=filename,
                line=line,
                most=f"{MAX_VALUES:,}",
                count=MAX_VALUES,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_sizes) == MAX_DEPTH:
                raise Invalid(
                    N_plural(
                        "%(file)s:%(line)s: nested deeper than %(most)s level",
                        "%(file)s:%(line)s: nested deeper than %(most)s levels",
                        "most",
                    ),
                    file=filename,
                    line=line,
                    most=MAX_DEPTH,
                )
            open_sizes.append(1)
            open_anchors.append(event.anchor)
            continue
        if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            anchored[event.anchor] = 1
        if open_sizes:
            open_sizes[-1] += size


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int:
    """The 1-based line of the deepest YAML node on ``loc`` that exists."""
    line = node.start_mark.line + 1 if node else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                key = next((k for k, _ in node.value if str(k.value) == str(part)), None)
                return key.start_mark.line + 1 if key else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def import_file(session: Session, path: Path, *, actor: str = "cli") -> Survey:
    """Validate and import ``path``; nothing is written if anything is wrong."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Invalid(
                N_("%(file)s: the file is larger than %(size)s MB"),
                file=path,
                size=MAX_FILE_BYTES // 1_000_000,
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise cannot_read(path, exc) from None
    return create(session, parse(text, str(path)), text, actor=actor)


def create(session: Session, study: SurveyIn, definition: str, *, actor: str) -> Survey:
    """Insert a validated study with its criteria, topics and statements."""
    if session.scalar(select(Survey.id).where(Survey.key == study.key)) is not None:
        raise Conflict(N_("a study with key %(key)r already exists"), key=study.key)

    survey = Survey(
        key=study.key,
        title=study.title,
        description=study.description,
        languages=study.languages,
        stakeholder_groups=[as_plain(g) for g in study.stakeholder_groups],
        min_group_size=study.min_group_size,
        method=as_plain(study.method),
        stopping=as_plain(study.stopping),
        reminder_days=list(study.reminders.days_before),
        reinvite_non_responders=study.reinvite_non_responders,
        translation_fallbacks=study.translation_fallbacks,
        feedback=as_plain(study.feedback),
        proposals=as_plain(study.proposals),
        mode=SurveyMode(study.mode),
        realtime=as_plain(study.realtime),
        definition=definition,
    )
    # Rating criteria first, then the rankings: answer sets lay cells out in this order.
    ordered = [c for c in study.criteria if c.kind == "rating"]
    ordered += [c for c in study.criteria if c.kind == "rank"]
    largest = max(len(t.statements) for t in study.topics)
    for position, c in enumerate(ordered):
        if c.kind == "rank":
            survey.rank_criteria.append(_ranking(c, position, largest))
            continue
        assert c.scale is not None  # the schema requires one for a rating
        agree, disagree = c.bands()
        survey.criteria.append(
            Criterion(
                key=c.key,
                position=position,
                label=c.label,
                question=c.question,
                scale_low=c.scale.low,
                scale_high=c.scale.high,
                anchors={str(k): v for k, v in c.anchors.items()},
                agree_low=agree[0],
                agree_high=agree[1],
                disagree_low=disagree[0],
                disagree_high=disagree[1],
                consensus_rule=_rule(c.consensus),
            )
        )
    position = 0
    for topic_position, t in enumerate(study.topics):
        topic = Topic(key=t.key, position=topic_position, title=t.title)
        survey.topics.append(topic)
        for s in t.statements:
            survey.statements.append(
                Statement(key=s.key, position=position, text=s.text, topic=topic)
            )
            position += 1
    session.add(survey)
    session.flush()
    record(session, actor, "survey.import", survey.id, {"key": survey.key})
    return survey


def _ranking(c: CriterionIn, position: int, largest: int) -> Criterion:
    """A ranking criterion: its "scale" is the positions 1..N it can give (N the top, or
    the largest topic's statements); it has no bands or consensus rule."""
    high = c.top or largest
    return Criterion(
        key=c.key,
        kind=CriterionKind.RANK,
        rank_top=c.top,
        position=position,
        label=c.label,
        question=c.question,
        scale_low=1,
        scale_high=high,
        anchors={},
        agree_low=1,
        agree_high=1,
        disagree_low=high,
        disagree_high=high,
        consensus_rule=None,
    )


def _rule(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    from engine import ConsensusRule

    return ConsensusRule.coerce(text).to_dict()
