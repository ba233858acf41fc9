"""Console pages for the statements between rounds: the list, one statement's lineage, and
rewording, splitting, merging, dropping, adding, moving and translating."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console.auth import CurrentFacilitator
from app.console.forms import PostedForm, field, ids, one_id, translations
from app.console.pages import Csrf, Study, console_router, done, render
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator, Statement, StatementState, Survey
from app.rounds import repository
from app.statements import lineage
from app.statements import service as statements
from app.web.sessions import SessionDep

router = console_router()

StatementId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A statement's id.")]
SPLIT_PARTS = 3


def list_page(
    request: Request,
    session: Session,
    survey: Survey,
    facilitator: Facilitator,
    error: DomainError | None = None,
) -> Response:
    current = statements.current(session, survey)
    return render(
        request,
        "statements.html",
        {
            "survey": survey,
            "statements": current,
            "missing": {
                m.statement.id: m.languages
                for m in statements.missing_translations(session, survey)
            },
            "open_round": repository.open_round(session, survey),
        },
        facilitator=facilitator,
        error=error,
    )


def statement_page(
    request: Request,
    session: Session,
    survey: Survey,
    statement: Statement,
    facilitator: Facilitator,
    error: DomainError | None = None,
) -> Response:
    others = [s for s in statements.for_next_round(session, survey) if s.id != statement.id]
    family = lineage.lineage(session, survey, statement)
    return render(
        request,
        "statement.html",
        {
            "survey": survey,
            "statement": statement,
            "lineage": family,
            "labels": {v.statement.id: v.statement.label for v in family.versions},
            "open_round": statements.open_round_of(session, statement),
            "rated": statements.rated(session, statement),
            "others": others,
            "split_parts": SPLIT_PARTS,
            "missing": [lang for lang in survey.languages if not statement.text.get(lang)],
            "active": statement.state == StatementState.ACTIVE,
        },
        facilitator=facilitator,
        error=error,
    )


@router.get("/studies/{key}/statements", name="console_statements")
def statements_list(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The current statements by topic, with what the next round still needs."""
    return list_page(request, session, survey, facilitator)


@router.post("/studies/{key}/statements", name="console_statement_add")
def add(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    form: PostedForm,
) -> Response:
    """Add a facilitator-written statement; it joins the next round."""
    try:
        with session.begin_nested():
            topic = statements.topic_or_raise(session, survey, one_id(form, "topic"))
            text = statements.clean_text(survey, translations(form, survey))
            added = statements.add(session, survey, topic, text, actor=facilitator.email)
    except DomainError as exc:
        return list_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_("Statement %(key)s added; it joins the next round."),
        "console_statement",
        say={"key": added.key},
        key=survey.key,
        statement_id=added.id,
    )


@router.get("/studies/{key}/statements/{statement_id}", name="console_statement")
def statement(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    statement_id: StatementId,
) -> Response:
    """One statement: its texts, its lineage with each version's results, and the changes
    that can be made to it."""
    found = statements.get_or_raise(session, survey, statement_id)
    return statement_page(request, session, survey, found, facilitator)


def _act(
    request: Request,
    session: Session,
    survey: Survey,
    statement_id: int,
    facilitator: Facilitator,
    action: str,
    form: PostedForm,
) -> Response:
    """Apply one change to a statement; on failure the page comes back with the reason."""
    found = statements.get_or_raise(session, survey, statement_id)
    actor = facilitator.email
    say: dict[str, str | int]
    try:
        with session.begin_nested():
            if action == "reword":
                text = statements.clean_text(survey, translations(form, survey))
                target = statements.reword(session, survey, found, text, actor=actor)
                message = N_("%(label)s reworded: version %(version)s joins the next round.")
                say = {"label": found.label, "version": target.version}
            elif action == "split":
                parts = []
                for n in range(1, SPLIT_PARTS + 1):
                    given = translations(form, survey, f"part{n}")
                    if any(v.strip() for v in given.values()):
                        parts.append(statements.clean_text(survey, given, f"part {n}"))
                created = statements.split(session, survey, found, parts, actor=actor)
                target = created[0]
                message = N_("%(label)s split into %(parts)s.")
                say = {"label": found.label, "parts": ", ".join(s.key for s in created)}
            elif action == "merge":
                chosen = [found] + [
                    statements.get_or_raise(session, survey, i) for i in ids(form, "with")
                ]
                text = statements.clean_text(survey, translations(form, survey))
                target = statements.merge(session, survey, chosen, text, actor=actor)
                message = N_("Statements merged into %(key)s: %(count)s.")
                say = {"key": target.key, "count": len(chosen)}
            elif action == "drop":
                statements.drop(session, survey, found, field(form, "reason"), actor=actor)
                target = found
                message = N_("%(label)s dropped; the next round will not ask it.")
                say = {"label": found.label}
            elif action == "move":
                topic = statements.topic_or_raise(session, survey, one_id(form, "topic"))
                statements.move(session, survey, found, topic, actor=actor)
                target = found
                message = N_("%(label)s moved to %(topic)s.")
                say = {"label": found.label, "topic": survey.text(topic.title)}
            else:
                text = statements.clean_text(survey, translations(form, survey))
                statements.translate(session, survey, found, text, actor=actor)
                target = found
                message = N_("The texts of %(label)s are saved.")
                say = {"label": found.label}
    except DomainError as exc:
        return statement_page(request, session, survey, found, facilitator, exc)
    return done(
        request, message, "console_statement", say=say, key=survey.key, statement_id=target.id
    )


def _route(action: str, summary: str) -> None:
    def endpoint(
        request: Request,
        session: SessionDep,
        facilitator: CurrentFacilitator,
        _: Csrf,
        survey: Study,
        statement_id: StatementId,
        form: PostedForm,
    ) -> Response:
        return _act(request, session, survey, statement_id, facilitator, action, form)

    endpoint.__doc__ = summary
    router.add_api_route(
        f"/studies/{{key}}/statements/{{statement_id}}/{action}",
        endpoint,
        methods=["POST"],
        name=f"console_statement_{action}",
    )


for _action, _summary in (
    ("reword", "Make a new version with another wording; the old one keeps its ratings."),
    ("split", "Replace the statement by two or more parts."),
    ("merge", "Merge the statement and the ones chosen into one."),
    ("drop", "Take the statement off the following rounds, with a reason."),
    ("move", "Put the statement under another topic."),
    ("translate", "Set the texts of a statement no round has rated yet."),
):
    _route(_action, _summary)
