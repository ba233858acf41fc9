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
from app.console.labels import said
from app.errors import N_, Conflict, NotFound
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
from app.proposals import service as proposals_service
from app.reasons import service as reasons_service
from app.reasons import summaries as reason_summaries
from app.rounds import repository
from app.rounds import service as rounds
from app.security import analyst_pseudonym
from app.statements import lineage
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
        mode=survey.mode.value,
        criteria=[
            schemas.CriterionInfo(
                key=c.key,
                kind="rating",
                label=survey.text(c.label),
                scale=schemas.Scale(low=c.scale_low, high=c.scale_high),
                agree=(c.agree_low, c.agree_high),
                disagree=(c.disagree_low, c.disagree_high),
                consensus_rule=_rule(c.consensus_rule),
            )
            for c in survey.criteria
        ]
        + [
            schemas.CriterionInfo(
                key=c.key,
                kind="rank",
                label=survey.text(c.label),
                scale=schemas.Scale(low=c.scale_low, high=c.scale_high),
                top=c.rank_top,
                agree=None,
                disagree=None,
                consensus_rule=None,
            )
            for c in survey.rank_criteria
        ],
        stakeholder_groups=[
            schemas.StakeholderGroup(key=g["key"], label=survey.group_label(g["key"]))
            for g in survey.stakeholder_groups
        ],
        min_group_size=survey.min_group_size,
        rounds=round_count,
    )


def list_studies(session: Session, only: int | None = None) -> list[schemas.Study]:
    """Every study (or the one with id ``only``), oldest first, with its number of rounds."""
    counts = dict(
        session.execute(select(Round.survey_id, func.count()).group_by(Round.survey_id)).all()
    )
    return [
        _study(survey, counts.get(survey.id, 0))
        for survey in studies.list_all(session)
        if only is None or survey.id == only
    ]


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
            N_(
                "round %(number)s of %(key)s is %(state)s; metrics and ratings are published "
                "only once it is closed"
            ),
            number=number,
            key=repr(survey.key),
            state=said(round_.state),
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
        raise NotFound(
            N_("round %(number)s of %(key)s has no computed results"),
            number=number,
            key=repr(survey.key),
        )
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
        rankings=[
            schemas.RankingMetrics.model_validate(r) for r in snapshot.results.get("rankings", [])
        ],
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
    criteria = {c.position: k for k, c in enumerate(survey.answer_criteria)}
    rated = np.full((len(groups), len(statement_ids) * len(criteria)), np.nan)
    for respondent_id, statement_id, _, position, _, rating, cj in answers:
        if respondent_id in row_of and statement_id in column_of and rating is not None and not cj:
            column = criteria[position] * len(statement_ids) + column_of[statement_id]
            rated[row_of[respondent_id], column] = rating
    return engine.common_groups(
        rated, np.asarray(list(groups.values()), dtype=object), min_size=survey.min_group_size
    )


def ratings_csv(session: Session, survey: Survey, number: int) -> str:
    """The rows of :func:`ratings_rows` as CSV, with a header of :data:`CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(ratings_rows(session, survey, number))
    return out.getvalue()


def ratings_rows(session: Session, survey: Survey, number: int) -> list[list[Any]]:
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
    return [cells for _, cells in rows]


# ------------------------------------------------------------------- between rounds

REASON_CSV_COLUMNS = (
    "reason",
    "statement",
    "version",
    "criterion",
    "rating",
    "cannot_judge",
    "range_band",
    "scale_band",
    "language",
    "moderation",
    "group",
    "text",
)


def _visible_reasons(session: Session, survey: Survey, number: int) -> tuple[Round, list[Any]]:
    round_ = closed_round(session, survey, number)
    return round_, reasons_service.round_reasons(session, survey, round_)


def round_reasons(session: Session, survey: Survey, number: int) -> schemas.RoundReasons:
    """The visible reasons of closed round ``number``, with their summaries."""
    round_, found = _visible_reasons(session, survey, number)
    everything = reasons_service.round_reasons(session, survey, round_, include_hidden=True)
    keys = {r.statement_id: (r.statement_key, r.statement_version) for r in found}
    summaries = [
        schemas.BandSummaryOut(
            statement=keys[statement_id][0],
            version=keys[statement_id][1],
            criterion=band.criterion,
            kind=band.kind,
            band=band.band,
            count=band.count,
            representative=band.representative,
            key_terms=band.key_terms,
        )
        for statement_id, summary in reason_summaries.of_round(session, survey, round_).items()
        for band in summary.bands
    ]
    return schemas.RoundReasons(
        study=survey.key,
        round=round_.number,
        min_group_size=survey.min_group_size,
        hidden=len(everything) - len(found),
        reasons=[
            schemas.ReasonOut(
                statement=r.statement_key,
                version=r.statement_version,
                text=r.text,
                language=r.language,
                moderation="visible",
                group=r.group,
                criteria={
                    key: schemas.ReasonRating(
                        rating=c.rating,
                        cannot_judge=c.cannot_judge,
                        range_band=c.range_band,
                        scale_band=c.scale_band,
                    )
                    for key, c in r.ratings.items()
                },
            )
            for r in found
        ],
        summaries=summaries,
    )


def reasons_csv(session: Session, survey: Survey, number: int) -> str:
    """The visible reasons of closed round ``number``, one row per reason and criterion.

    ``reason`` numbers the reasons of this export from 1; it is not stored anywhere and
    names no respondent, so it joins a reason's rows to each other and nothing else.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REASON_CSV_COLUMNS)
    writer.writerows(reason_rows(session, survey, number))
    return out.getvalue()


def reason_rows(session: Session, survey: Survey, number: int) -> list[list[Any]]:
    """The rows of :func:`reasons_csv`: visible reasons only, one per reason and criterion."""
    _, found = _visible_reasons(session, survey, number)
    return [
        [
            n,
            r.statement_key,
            r.statement_version,
            key,
            "" if c.rating is None else c.rating,
            int(c.cannot_judge),
            c.range_band or "",
            c.scale_band or "",
            r.language or "",
            r.moderation,
            r.group or "",
            r.text,
        ]
        for n, r in enumerate(found, start=1)
        for key, c in r.ratings.items()
    ]


def list_proposals(session: Session, survey: Survey) -> list[schemas.ProposalOut]:
    """Every proposal of ``survey``, pending first."""
    numbers = {r.id: r.number for r in repository.rounds_of(session, survey)}
    topics = {t.id: t.key for t in survey.topics}
    found = proposals_service.list_for(session, survey)
    targets = [p.statement_id for p in found if p.statement_id]
    statements = {
        s.id: s for s in session.scalars(select(Statement).where(Statement.id.in_(targets)))
    }
    result = []
    for p in found:
        target = statements.get(p.statement_id) if p.statement_id else None
        result.append(
            schemas.ProposalOut(
                topic=topics[p.topic_id],
                round=numbers[p.round_id],
                text=p.text,
                language=p.language,
                state=p.state.value,
                statement=target.key if target else None,
                statement_version=target.version if target else None,
                decision_note=p.decision_note,
            )
        )
    return result


def list_statements(session: Session, survey: Survey) -> list[schemas.StatementOut]:
    """Every version of every statement of ``survey``, with its lineage and rounds."""
    found = lineage.versions(session, survey)
    by_id = {v.statement.id: v.statement for v in found}

    def ref(statement_id: int) -> schemas.StatementRef:
        s = by_id[statement_id]
        return schemas.StatementRef(key=s.key, version=s.version)

    topics = {t.id: t.key for t in survey.topics}
    return [
        schemas.StatementOut(
            key=v.statement.key,
            version=v.statement.version,
            topic=topics[v.statement.topic_id],
            text={str(k): str(t) for k, t in v.statement.text.items()},
            origin=v.statement.origin.value,
            state=v.statement.state.value,
            drop_reason=v.statement.drop_reason,
            parents=[ref(i) for i in v.parent_ids],
            children=[ref(i) for i in v.child_ids],
            rounds=[
                schemas.StatementRound.model_validate({"number": r.number, "outcome": r.outcome})
                for r in v.rounds
            ],
            missing_languages=[lang for lang in survey.languages if not v.statement.text.get(lang)],
        )
        for v in found
    ]
