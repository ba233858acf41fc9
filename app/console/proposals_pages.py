"""Console pages for curating the panel's proposals: the list with duplicate hints, and
accepting, merging or rejecting one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console.auth import CurrentFacilitator
from app.console.forms import PostedForm, field, one_id, translations
from app.console.pages import Csrf, Study, console_router, done, render
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator, Proposal, ProposalState, Round, Survey
from app.proposals import service as proposals
from app.rounds import repository
from app.statements import service as statements
from app.web.sessions import SessionDep

router = console_router()

ProposalId = Annotated[int, Path(ge=1, le=2**53, description="A proposal's id.")]


def _round_numbers(session: Session, survey: Survey) -> dict[int, int]:
    return {r.id: r.number for r in repository.rounds_of(session, survey)}


@router.get("/studies/{key}/proposals", name="console_proposals")
def proposals_list(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """Every proposal, pending first, each with the most similar statements and proposals."""
    found = proposals.list_for(session, survey)
    pending = [p for p in found if p.state == ProposalState.PENDING]
    return render(
        request,
        "proposals.html",
        {
            "survey": survey,
            "proposals": found,
            "pending": len(pending),
            "hints": proposals.hints(session, survey, pending),
            "rounds": _round_numbers(session, survey),
            "topics": {t.id: survey.text(t.title) for t in survey.topics},
        },
        facilitator=facilitator,
    )


def curation_page(
    request: Request,
    session: Session,
    survey: Survey,
    proposal: Proposal,
    facilitator: Facilitator,
    error: DomainError | None = None,
) -> Response:
    return render(
        request,
        "proposal.html",
        {
            "survey": survey,
            "proposal": proposal,
            "round": session.get(Round, proposal.round_id),
            "hints": proposals.hints(session, survey, [proposal])[proposal.id],
            "targets": statements.for_next_round(session, survey),
            "statement": (
                statements.get_or_raise(session, survey, proposal.statement_id)
                if proposal.statement_id
                else None
            ),
        },
        facilitator=facilitator,
        error=error,
    )


@router.get("/studies/{key}/proposals/{proposal_id}", name="console_proposal")
def proposal(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    proposal_id: ProposalId,
) -> Response:
    """One proposal: its duplicate hints and the three ways to decide on it."""
    found = proposals.get_or_raise(session, survey, proposal_id)
    return curation_page(request, session, survey, found, facilitator)


@router.post("/studies/{key}/proposals/{proposal_id}/accept", name="console_proposal_accept")
def accept(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    proposal_id: ProposalId,
    form: PostedForm,
) -> Response:
    """Accept the proposal as a new statement (text edited, topic picked, languages given)."""
    found = proposals.get_or_raise(session, survey, proposal_id)
    try:
        with session.begin_nested():
            topic = statements.topic_or_raise(session, survey, one_id(form, "topic"))
            text = statements.clean_text(survey, translations(form, survey))
            added = proposals.accept(session, survey, found, text, topic, actor=facilitator.email)
    except DomainError as exc:
        return curation_page(request, session, survey, found, facilitator, exc)
    return done(
        request,
        N_("Accepted as statement %(key)s; it joins the next round."),
        "console_proposals",
        say={"key": added.key},
        key=survey.key,
    )


@router.post("/studies/{key}/proposals/{proposal_id}/merge", name="console_proposal_merge")
def merge(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    proposal_id: ProposalId,
    form: PostedForm,
) -> Response:
    """Merge the proposal into an existing statement, optionally updating its wording."""
    found = proposals.get_or_raise(session, survey, proposal_id)
    try:
        with session.begin_nested():
            target = statements.get_or_raise(session, survey, one_id(form, "statement"))
            text = (
                statements.clean_text(survey, translations(form, survey))
                if field(form, "reword") == "yes"
                else None
            )
            merged = proposals.merge(session, survey, found, target, text, actor=facilitator.email)
    except DomainError as exc:
        return curation_page(request, session, survey, found, facilitator, exc)
    return done(
        request,
        N_("Merged into %(label)s."),
        "console_proposals",
        say={"label": merged.label},
        key=survey.key,
    )


@router.post("/studies/{key}/proposals/{proposal_id}/reject", name="console_proposal_reject")
def reject(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    proposal_id: ProposalId,
    form: PostedForm,
) -> Response:
    """Reject the proposal with a reason."""
    found = proposals.get_or_raise(session, survey, proposal_id)
    try:
        with session.begin_nested():
            proposals.reject(session, survey, found, field(form, "reason"), actor=facilitator.email)
    except DomainError as exc:
        return curation_page(request, session, survey, found, facilitator, exc)
    return done(request, N_("The proposal is rejected."), "console_proposals", key=survey.key)
