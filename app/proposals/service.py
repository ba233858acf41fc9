"""Panelists' proposals and their curation.

A proposal is stored when the answers that carry it are submitted, with its topic, its
round and the page's language, and nothing that leads back to its writer (no respondent,
no date). A facilitator accepts it as a new statement (the text edited, the topic picked,
other languages given), merges it into an existing statement (whose wording may be
updated: a new version), or rejects it with a reason. Accepted statements join the next
round. Duplicate hints score each proposal against the current statements and the other
proposals by text similarity (see :mod:`app.reasons.text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.console.labels import said
from app.errors import N_, Conflict, NotFound
from app.models import Proposal, ProposalState, Round, Statement, StatementOrigin, Survey, Topic
from app.models.survey import Translations
from app.reasons import text as similarity
from app.statements import service as statements

__all__ = [
    "Hint",
    "Hints",
    "accept",
    "get_or_raise",
    "hints",
    "list_for",
    "merge",
    "reject",
    "submit",
]

HINTS = 3


def submit(session: Session, round_: Round, proposals: Mapping[int, str], *, language: str) -> int:
    """Store the proposals of one submitted answer set, unlinked from it; how many."""
    rows = [
        Proposal(
            survey_id=round_.survey_id,
            round_id=round_.id,
            topic_id=topic_id,
            text=body,
            language=language,
        )
        for topic_id, body in proposals.items()
        if body
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def list_for(
    session: Session, survey: Survey, state: ProposalState | None = None
) -> list[Proposal]:
    """The study's proposals, pending first, then by round and topic."""
    query = select(Proposal).where(Proposal.survey_id == survey.id)
    if state is not None:
        query = query.where(Proposal.state == state)
    rows = list(session.scalars(query))
    numbers = dict(
        session.execute(select(Round.id, Round.number).where(Round.survey_id == survey.id)).all()
    )
    topics = {t.id: t.position for t in survey.topics}
    rows.sort(
        key=lambda p: (
            p.state != ProposalState.PENDING,
            numbers.get(p.round_id, 0),
            topics.get(p.topic_id, 0),
            p.text.casefold(),
            p.id,
        )
    )
    return rows


def get_or_raise(session: Session, survey: Survey, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.survey_id != survey.id:
        raise NotFound(N_("study %(key)s has no such proposal"), key=repr(survey.key))
    return proposal


def _pending(proposal: Proposal) -> None:
    if proposal.state != ProposalState.PENDING:
        raise Conflict(N_("this proposal was already %(state)s"), state=said(proposal.state))


def accept(
    session: Session,
    survey: Survey,
    proposal: Proposal,
    text: Translations,
    topic: Topic,
    *,
    actor: str,
) -> Statement:
    """Make ``proposal`` a new statement of ``topic``, which joins the next round."""
    _pending(proposal)
    statement = statements.add(
        session, survey, topic, text, actor=actor, origin=StatementOrigin.PROPOSED
    )
    proposal.state = ProposalState.ACCEPTED
    proposal.statement_id = statement.id
    session.flush()
    record(session, actor, "proposal.accept", survey.id, {"statement": statement.key})
    return statement


def merge(
    session: Session,
    survey: Survey,
    proposal: Proposal,
    statement: Statement,
    text: Translations | None,
    *,
    actor: str,
) -> Statement:
    """Fold ``proposal`` into ``statement``; with ``text``, its wording is updated too (a
    new version). The statement the proposal now belongs to is returned."""
    _pending(proposal)
    target = statement
    if text is not None and text != statement.text:
        target = statements.reword(session, survey, statement, text, actor=actor)
    elif statement.state.value != "active":
        raise Conflict(
            N_("cannot merge into %(label)s: it is %(state)s"),
            label=statement.label,
            state=said(statement.state),
        )
    proposal.state = ProposalState.MERGED
    proposal.statement_id = target.id
    session.flush()
    record(session, actor, "proposal.merge", survey.id, {"statement": target.label})
    return target


def reject(session: Session, survey: Survey, proposal: Proposal, note: str, *, actor: str) -> None:
    """Reject ``proposal``, keeping the facilitator's reason with it."""
    _pending(proposal)
    proposal.decision_note = statements.clean_note(note, "reason")
    proposal.state = ProposalState.REJECTED
    session.flush()
    record(session, actor, "proposal.reject", survey.id, {})


# -------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Hint:
    score: float  # cosine similarity of the texts, 0 to 1
    statement: Statement | None = None
    proposal: Proposal | None = None


@dataclass(frozen=True)
class Hints:
    statements: list[Hint]
    proposals: list[Hint]


def hints(
    session: Session, survey: Survey, proposals: Sequence[Proposal], limit: int = HINTS
) -> dict[int, Hints]:
    """Per proposal, the most similar current statements and other proposals, with scores.

    A statement is compared in the proposal's language where it has that text.
    """
    if not proposals:
        return {}
    current = statements.current(session, survey)
    others = list_for(session, survey)
    # One vector space for everything: each proposal, and each statement in each language.
    texts = [p.text for p in others]
    column: dict[tuple[int, str], int] = {}
    for s in current:
        for language in survey.languages:
            column[(s.id, language)] = len(texts)
            texts.append(survey.text(s.text, language))
    position = {p.id: i for i, p in enumerate(others)}
    for p in proposals:
        if p.id not in position:
            position[p.id] = len(texts)
            texts.append(p.text)
    scores = similarity.similarity(texts)
    result: dict[int, Hints] = {}
    for proposal in proposals:
        row = scores[position[proposal.id]]
        language = (
            proposal.language
            if proposal.language in survey.languages
            else (survey.default_language)
        )
        by_statement = [
            Hint(score=round(float(row[column[(s.id, language)]]), 2), statement=s) for s in current
        ]
        by_proposal = [
            Hint(score=round(float(row[position[p.id]]), 2), proposal=p)
            for p in others
            if p.id != proposal.id
        ]
        result[proposal.id] = Hints(
            statements=_best(by_statement, limit), proposals=_best(by_proposal, limit)
        )
    return result


def _best(found: list[Hint], limit: int) -> list[Hint]:
    ranked = sorted(
        (h for h in found if h.score > 0),
        key=lambda h: (-h.score, (h.statement or h.proposal).id),  # type: ignore[union-attr]
    )
    return ranked[:limit]
