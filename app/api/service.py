"""What analysts can read: studies, rounds, a closed round's metrics and anonymous ratings."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine
from app.api import schemas
from app.errors import Conflict, NotFound
from app.models import (
    Criterion,
    Respondent,
    Response,
    Round,
    RoundState,
    Statement,
    Submission,
    Survey,
)
from app.rounds import repository
from app.rounds import service as rounds
from app.security import analyst_pseudonym
from app.studies import service as studies

CSV_COLUMNS = (
    "respondent",
    "stakeholder_group",
    "statement",
    "criterion",
    "rating",
    "cannot_judge",
)
SUPPRESSED = "suppressed"


def _rule(definition: dict[str, Any] | None, text: str | None = None) -> schemas.Rule | None:
    if not definition:
        return None
    text = text or str(engine.ConsensusRule.from_dict(definition))
    return schemas.Rule(definition=definition, text=text)


def _study(survey: Survey, round_count: int) -> schemas.Study:
    return schemas.Study(
        key=survey.key,
        title=survey.text(survey.title),
        languages=[str(language) for language in survey.languages],
        state=survey.state.value,
        criteria=[
            schemas.CriterionInfo(
                key=c.key,
                label=survey.text(c.label),
                scale=schemas.Scale(low=c.scale_low, high=c.scale_high),
                agree=(c.agree_low, c.agree_high),
                disagree=(c.disagree_low, c.disagree_high),
                consensus_rule=_rule(c.consensus_rule),
            )
            for c in survey.criteria
        ],
        stakeholder_groups=[
            schemas.StakeholderGroup(key=g["key"], label=survey.group_label(g["key"]))
            for g in survey.stakeholder_groups
        ],
        min_group_size=survey.min_group_size,
        rounds=round_count,
    )


def list_studies(session: Session) -> list[schemas.Study]:
    """Every study, oldest first, with its number of rounds."""
    counts = dict(
        session.execute(select(Round.survey_id, func.count()).group_by(Round.survey_id)).all()
    )
    return [_study(survey, counts.get(survey.id, 0)) for survey in studies.list_all(session)]


def list_rounds(session: Session, survey: Survey) -> list[schemas.Round]:
    """The rounds of ``survey`` with their response rates."""
    result = []
    for round_ in repository.rounds_of(session, survey):
        status = rounds.status(session, round_)
        result.append(
            schemas.Round(
                number=round_.number,
                state=round_.state.value,
                opened_at=round_.opened_at,
                closed_at=round_.closed_at,
                deadline=round_.deadline,
                statements=len(round_.items),
                invited=status.invited,
                submitted=status.submitted,
                response_rate=status.response_rate,
            )
        )
    return result


def closed_round(session: Session, survey: Survey, number: int) -> Round:
    """Round ``number`` of ``survey`` if it is closed; an open round's figures would leak."""
    round_ = rounds.get_or_raise(session, survey, number)
    if round_.state != RoundState.CLOSED:
        raise Conflict(
            f"round {number} of {survey.key!r} is {round_.state.value}; metrics and ratings "
            "are published only once it is closed"
        )
    return round_


def _groups(records: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    return {
        group: schemas.GroupSummary(**record) if record else schemas.SuppressedGroup()
        for group, record in records.items()
    }


def metrics(session: Session, survey: Survey, number: int) -> schemas.RoundMetrics:
    """The stored snapshot of closed round ``number``, in the API's shape."""
    round_ = closed_round(session, survey, number)
    snapshot = repository.snapshot_of(session, round_)
    if snapshot is None:
        raise NotFound(f"round {number} of {survey.key!r} has no computed results")
    entries = snapshot.results["statements"]
    texts = dict(
        session.execute(
            select(Statement.id, Statement.text).where(
                Statement.id.in_([e["statement_id"] for e in entries])
            )
        ).all()
    )
    method = snapshot.method
    criteria = [
        schemas.CriterionMethod(
            key=c["key"],
            scale=schemas.Scale(low=c["scale"][0], high=c["scale"][1]),
            agree=tuple(c["agree"]),
            disagree=tuple(c["disagree"]),
            # The snapshot's own wording: it records the rule as it was applied.
            rule=_rule(c["rule"], c.get("rule_text")),
        )
        for c in method["criteria"]
    ]
    rule_of = {c.key: c.rule for c in criteria}
    statements = [
        schemas.StatementMetrics(
            key=entry["key"],
            topic=entry["topic"],
            text=survey.text(texts[entry["statement_id"]]),
            consensus=entry["consensus"],
            outcome=entry["outcome"],
            criteria={
                key: schemas.CriterionMetrics(
                    **record,
                    rule=rule_of.get(key),
                    change=entry["change"].get(key),
                    groups=_groups(entry["groups"][key]),
                    divergence=entry["divergence"][key],
                )
                for key, record in entry["criteria"].items()
            },
        )
        for entry in entries
    ]
    return schemas.RoundMetrics(
        study=survey.key,
        round=round_.number,
        engine_version=snapshot.engine_version,
        computed_at=snapshot.computed_at,
        method=schemas.Method(
            quantile_method=method.get("quantile_method", "weibull"),
            cannot_judge_counts=bool(method.get("cannot_judge_counts", False)),
            stability_threshold=method["stability_threshold"],
            stability_alpha=method["stability_alpha"],
            min_group_size=method["min_group_size"],
            criteria=criteria,
        ),
        invited=snapshot.invited,
        responded=snapshot.responded,
        statements=statements,
    )


def _common_groups(
    survey: Survey, statement_ids: list[int], groups: dict[int, str], answers: list[Any]
) -> engine.CommonGroups:
    """The groups whose label may mark a respondent's rows: shown on every cell of the round.

    The engine decides on the round's cells side by side (statements x criteria), the
    same per-cell rule the metrics follow, so a group labelled here is shown in every
    cell of the metrics.
    """
    row_of = {rid: i for i, rid in enumerate(groups)}
    column_of = {sid: j for j, sid in enumerate(statement_ids)}
    criteria = {c.position: k for k, c in enumerate(survey.criteria)}
    rated = np.full((len(groups), len(statement_ids) * len(criteria)), np.nan)
    for respondent_id, statement_id, _, position, _, rating, cj in answers:
        if respondent_id in row_of and statement_id in column_of and rating is not None and not cj:
            column = criteria[position] * len(statement_ids) + column_of[statement_id]
            rated[row_of[respondent_id], column] = rating
    return engine.common_groups(
        rated, np.asarray(list(groups.values()), dtype=object), min_size=survey.min_group_size
    )


def ratings_csv(session: Session, survey: Survey, number: int) -> str:
    """The submitted ratings of closed round ``number`` in long format, one row per answer.

    Respondents appear under a pseudonym for this round only (see
    :func:`app.security.analyst_pseudonym` for why) that cannot be joined to a panelist.
    A stakeholder group is named only if the metrics show it on every statement and
    criterion of the round; the other respondents' rows say "suppressed". When one of
    those groups is shown somewhere, the suppressed rows carry no pseudonym and are
    ordered by their content, so they cannot be followed from cell to cell (see
    :class:`engine.CommonGroups`).
    """
    round_ = closed_round(session, survey, number)
    respondents = session.execute(
        select(Respondent.id, Respondent.key, Respondent.stakeholder_group)
        .join(Submission, Submission.respondent_id == Respondent.id)
        .where(Submission.round_id == round_.id, Submission.submitted_on.is_not(None))
        .order_by(Respondent.id)
    ).all()
    statement_order = {item.statement_id: item.position for item in round_.items}
    answers = session.execute(
        select(
            Response.respondent_id,
            Response.statement_id,
            Statement.key,
            Criterion.position,
            Criterion.key,
            Response.rating,
            Response.cannot_judge,
        )
        .join(Statement, Statement.id == Response.statement_id)
        .join(Criterion, Criterion.id == Response.criterion_id)
        .where(Response.round_id == round_.id)
    ).all()
    common = _common_groups(
        survey,
        sorted(statement_order, key=statement_order.__getitem__),
        {r.id: r.stakeholder_group for r in respondents},
        list(answers),
    )
    label = {
        r.id: (
            (analyst_pseudonym(r.key, round_.id), r.stakeholder_group)
            if r.stakeholder_group in common.labelled
            else (analyst_pseudonym(r.key, round_.id) if common.linkable else "", SUPPRESSED)
        )
        for r in respondents
    }
    rows: list[tuple[tuple[str, int, int, int, int], list[Any]]] = []
    for respondent_id, statement_id, statement, position, criterion, rating, cj in answers:
        # Same filter as the snapshot: submitted answer sets, statements on this round.
        if respondent_id not in label or statement_id not in statement_order:
            continue
        pseudonym, group = label[respondent_id]
        rating_cell = "" if cj or rating is None else rating
        rows.append(
            (
                # the answer itself breaks ties, so unlabelled rows keep no database order
                (
                    pseudonym,
                    statement_order[statement_id],
                    position,
                    int(cj),
                    -1 if rating_cell == "" else int(rating_cell),
                ),
                [pseudonym, group, statement, criterion, rating_cell, int(cj)],
            )
        )
    rows.sort(key=lambda row: row[0])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(cells for _, cells in rows)
    return out.getvalue()
