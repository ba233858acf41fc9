"""The panelist's pages: the emailed link, the questionnaire, saving and submitting."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app import i18n
from app.answers.sheet import AnswerSheet
from app.db import Transactions
from app.errors import N_, Invalid, NotFound
from app.models import Round, Survey, SurveyMode
from app.participation import participant as participants
from app.participation import questionnaire as questionnaires
from app.participation import schemas
from app.participation import submit as submitting
from app.participation.participant import Participant
from app.participation.questionnaire import Page, Questionnaire
from app.results import service as results
from app.web.admission import LANGUAGE_SESSION_KEY, POSTED_FIELDS, kept_fields
from app.web.csrf import SESSION_KEY as CSRF_SESSION_KEY
from app.web.csrf import CsrfProtected, csrf_token
from app.web.sessions import SessionDep, TransactionsDep
from app.web.templating import templates

LINK_SESSION_KEY = "link_id"
STATUS_FLAGS = ("saved",)
_ANCHOR = re.compile(r"statement-(\d{1,18})")

# Pages reached through bearer links: never cached (shared computers), never sent as a
# Referer to another site (the URL may hold the token).
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class LinkNotValid(NotFound):
    """Every failure to identify a panelist, indistinguishable from the outside."""

    def __init__(self) -> None:
        super().__init__(N_("This link does not work"))


def _link_not_valid(request: Request) -> Response:
    # The language is unknown here, so the page says it in every language there is.
    return templates.TemplateResponse(
        request,
        "participant/link_not_valid.html",
        {"languages": i18n.LANGUAGES},
        status_code=status.HTTP_404_NOT_FOUND,
    )


class PanelistRoute(APIRoute):
    """Adds the private headers to every panelist response and renders the one 404 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except LinkNotValid:
                response = _link_not_valid(request)
            response.headers.update(PRIVATE_HEADERS)
            return response

        return route


router = APIRouter(route_class=PanelistRoute, include_in_schema=False)


def participant_or_404(request: Request, session: Session) -> Participant:
    """The panelist of this browser session, from the link they opened; else the page
    saying the link is not valid (404)."""
    who = participants.participant(session, request.session.get(LINK_SESSION_KEY))
    if who is None:
        raise LinkNotValid()
    return who


async def _form(request: Request) -> FormData:
    form = await request.form()
    # Kept before the database is touched: if it cannot be reached in time, the 503 page
    # hands all of it back (see app.web.admission).
    setattr(request.state, POSTED_FIELDS, kept_fields(form.multi_items()))
    return form


PostedForm = Annotated[FormData, Depends(_form)]


def panelist_page(
    request: Request,
    who: Participant,
    template: str,
    context: dict[str, Any],
    status_code: int = status.HTTP_200_OK,
) -> Response:
    """``template`` rendered for the panelist ``who``, with what every panelist's page needs."""
    # The response renders here, inside the block: the whole page is in their language.
    with i18n.use_language(who.language):
        return templates.TemplateResponse(
            request,
            template,
            {
                "lang": who.language,
                "round_number": who.round_number,
                "study_languages": who.survey.languages,
                "csrf_token": csrf_token(request),
                **context,
            },
            status_code=status_code,
        )


def _topic_page(
    request: Request,
    who: Participant,
    questionnaire: Questionnaire,
    number: int,
    flag: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    return panelist_page(
        request,
        who,
        "participant/questionnaire.html",
        {
            "q": questionnaire,
            "page": number,
            "section": questionnaire.sections[number - 1],
            # Where the script keeps this page's unsaved answers in the browser: one
            # panelist's link and page (several may share a browser).
            "draft_key": f"{who.plan.round_id}-{who.link_id}-{number}",
            "flag": flag,
            "csrf_token": csrf_token(request),
        },
        status_code,
    )


def _summary_page(
    request: Request,
    who: Participant,
    questionnaire: Questionnaire,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    return panelist_page(
        request,
        who,
        "participant/summary.html",
        {"q": questionnaire, "csrf_token": csrf_token(request)},
        status_code,
    )


def _closed_page(request: Request, session: Session, who: Participant, *, posted: bool) -> Response:
    if not posted:
        finished = results.for_finished(session, who.survey.id, who.language)
        if finished is not None:
            return panelist_page(request, who, "participant/results.html", {"results": finished})
    return panelist_page(
        request,
        who,
        "participant/closed.html",
        {
            "posted": posted,
            "finished": questionnaires.study_finished(session, who),
            "final_round": who.round_number >= who.survey.max_rounds,
        },
        status.HTTP_409_CONFLICT if posted else status.HTTP_200_OK,
    )


@router.get("/r/{token:path}", name="open_link", responses={404: {"description": "Not valid"}})
def open_link(token: str, request: Request, session: SessionDep) -> Response:
    """Exchange an emailed link for a session cookie and a URL without the token."""
    link = participants.exchange(session, token)
    if link is None:
        raise LinkNotValid()
    request.session[LINK_SESSION_KEY] = link.id
    request.session[LANGUAGE_SESSION_KEY] = participants.language_of(session, link)
    # A fresh CSRF secret for the newly identified panelist (the browser may be shared).
    request.session.pop(CSRF_SESSION_KEY, None)
    csrf_token(request)
    return RedirectResponse(
        request.app.url_path_for(_questionnaire_of(session, link.round_id)),
        status_code=status.HTTP_303_SEE_OTHER,
    )


def _questionnaire_of(session: Session, round_id: int) -> str:
    """The route of a round's questionnaire: a real-time study has its own."""
    realtime = session.scalar(
        select(Survey.mode).join(Round, Round.survey_id == Survey.id).where(Round.id == round_id)
    )
    return "live" if realtime == SurveyMode.REALTIME else "questionnaire"


@router.get("/round", name="questionnaire", responses={404: {"description": "No session"}})
async def show_questionnaire(
    request: Request,
    transactions: TransactionsDep,
    topic: Annotated[int, Query(ge=1, le=10_000)] = 1,
    flag: Annotated[str | None, Query(alias="status")] = None,
    check: bool = False,
) -> Response:
    """One topic page of the questionnaire, prefilled, with last round's feedback; or the
    round-closed page. ``check`` shows what would stop a submit beside its field (the
    summary's error links ask for it)."""
    # One thread-pool call for the whole page (see answer()).
    return await run_in_threadpool(_show_topic, request, transactions, topic, flag, check)


def _show_topic(
    request: Request, transactions: Transactions, topic: int, flag: str | None, check: bool
) -> Response:
    with transactions.read() as session:
        who = participant_or_404(request, session)
        if who.survey.realtime:
            return RedirectResponse(
                request.app.url_path_for("live"), status_code=status.HTTP_303_SEE_OTHER
            )
        if not who.is_open:
            return _closed_page(request, session, who, posted=False)
        errors = submitting.draft_problems(session, who) if check else None
        questionnaire = questionnaires.questionnaire(session, who, errors=errors, page=topic)
    number = min(topic, len(questionnaire.sections))
    return _topic_page(request, who, questionnaire, number, flag if flag in STATUS_FLAGS else None)


@router.get("/round/summary", name="summary", responses={404: {"description": "No session"}})
async def show_summary(request: Request, transactions: TransactionsDep) -> Response:
    """Every topic with what is answered and what is missing, and the Submit button."""
    return await run_in_threadpool(_show_summary, request, transactions)


def _show_summary(request: Request, transactions: Transactions) -> Response:
    with transactions.read() as session:
        who = participant_or_404(request, session)
        if not who.is_open:
            return _closed_page(request, session, who, posted=False)
        questionnaire = questionnaires.questionnaire(session, who)
    return _summary_page(request, who, questionnaire)


@router.get("/round/submitted", name="submitted", responses={404: {"description": "No session"}})
async def show_submitted(
    request: Request,
    transactions: TransactionsDep,
    flag: Annotated[str | None, Query(alias="status")] = None,
) -> Response:
    """What happens next, once the answers are in."""
    return await run_in_threadpool(_show_submitted, request, transactions, flag == "proposed")


def _show_submitted(request: Request, transactions: Transactions, proposed: bool) -> Response:
    with transactions.read() as session:
        who = participant_or_404(request, session)
        if not who.is_open:
            return _closed_page(request, session, who, posted=False)
        questionnaire = questionnaires.questionnaire(session, who)
    if questionnaire.submitted_on is None:
        # Nothing submitted yet (a bookmarked address): the summary says what is missing.
        return RedirectResponse(
            request.app.url_path_for("summary"), status_code=status.HTTP_303_SEE_OTHER
        )
    return panelist_page(
        request,
        who,
        "participant/submitted.html",
        {"q": questionnaire, "proposed": proposed},
    )


@router.post(
    "/round/language",
    name="choose_language",
    dependencies=[CsrfProtected],
    responses={
        303: {"description": "Kept; back to the questionnaire in that language"},
        403: {"description": "CSRF token missing or wrong"},
        404: {"description": "No session"},
    },
)
def choose_language(
    request: Request, language: Annotated[str, Form(max_length=20)], session: SessionDep
) -> Response:
    """Read the study (and get its mail) in another of its languages."""
    who = participant_or_404(request, session)
    request.session[LANGUAGE_SESSION_KEY] = participants.choose_language(session, who, language)
    return RedirectResponse(
        request.app.url_path_for("questionnaire"), status_code=status.HTTP_303_SEE_OTHER
    )


@router.post(
    "/round",
    name="answer",
    dependencies=[CsrfProtected],
    responses={
        204: {"description": "Autosaved"},
        303: {"description": "Saved or submitted"},
        403: {"description": "CSRF token missing or wrong; nothing stored"},
        404: {"description": "No session"},
        409: {"description": "Round closed; answers kept as draft"},
        422: {"description": "Forged input (nothing stored) or incomplete (kept as draft)"},
        503: {"description": "Server saturated; the page holds everything sent"},
    },
)
async def answer(request: Request, form: PostedForm, transactions: TransactionsDep) -> Response:
    """Save the draft of one page (and move to another), or submit the answers."""
    # The form is parsed here, in the event loop; everything that touches the database
    # runs in one thread-pool call, which reads first and then writes in one short
    # transaction: on SQLite the write turn is held only while rows are written.
    return await run_in_threadpool(_answer, request, transactions, form)


WHOLE = "whole"


def _posted_page(form: FormData, pages: list[Page]) -> Page | str | None:
    """The topic page a post came from: ``None`` for the summary (no fields), ``WHOLE``
    for a post without a page (every field of the round, replacing the draft whole)."""
    raw = form.get("page")
    if raw is None:
        return WHOLE
    if raw == "summary":
        return None
    if not isinstance(raw, str) or not raw.isdigit() or not 1 <= int(raw) <= len(pages):
        raise Invalid(
            N_(
                "page: %(page)s is not a page of this questionnaire (1 to %(count)s or "
                "'summary'). Reload the questionnaire and try again."
            ),
            ["page"],
            page=repr(str(raw)[:20]),
            count=len(pages),
        )
    return pages[int(raw) - 1]


def _anchor(form: FormData, page: Page, questionnaire_answers: AnswerSheet) -> str:
    """Where on the page a saved draft returns to: the statement the panelist was reading
    (the script sends it), else the first one not rated yet, else the buttons."""
    raw = form.get("anchor")
    if isinstance(raw, str) and (match := _ANCHOR.fullmatch(raw)):
        if int(match[1]) in page.statement_ids:
            return raw
    rated = {sid for sid, _ in questionnaire_answers.ratings}
    for sid in page.statement_ids:
        if sid not in rated:
            return f"statement-{sid}"
    return "actions"


def _answer(request: Request, transactions: Transactions, form: FormData) -> Response:
    with transactions.read() as session:
        who = participant_or_404(request, session)
        if who.survey.realtime:
            # Real-time answers go through their own page, which keeps their history.
            return RedirectResponse(
                request.app.url_path_for("live"), status_code=status.HTTP_303_SEE_OTHER
            )
        pages = questionnaires.pages(who)
        posted_page = _posted_page(form, pages)
        page = posted_page if isinstance(posted_page, Page) else None
        on_page = [who.plan.item(sid) for sid in page.statement_ids] if page else None
        shown = questionnaires.shown_reasons(session, who, on_page)
        posted = schemas.parse_form(
            form.multi_items(),
            page.statement_ids if page else who.plan.statement_ids,
            who.survey.criteria,
            proposal_topics=(
                ((page.topic_id,) if page.proposal else ()) if page else who.proposal_topics
            ),
            shown_reasons=shown,
            rank_limits=questionnaires.rank_limits(who),
        )
        if posted_page != WHOLE:
            posted = replace(
                posted, answers=questionnaires.page_answers(session, who, posted.answers, page)
            )
        checked = (
            submitting.check(session, who, posted.answers, None if page else shown)
            if posted.action == "submit"
            else None
        )
    with transactions.write() as session:
        outcome = submitting.answer(session, who, posted, checked)
    if outcome.status == "closed":
        with transactions.read() as session:
            return _closed_page(request, session, who, posted=True)
    if outcome.status == "incomplete":
        with transactions.read() as session:
            questionnaire = questionnaires.questionnaire(
                session, who, posted.answers, outcome.errors, posted.too_long
            )
        unprocessable = status.HTTP_422_UNPROCESSABLE_CONTENT
        if posted.too_long:
            # A text too long to store is only on the page that shows it again.
            number = questionnaire.errors[0].page if page is None else page.number
            number = next(
                (e.page for e in questionnaire.errors if e.target in posted.too_long), number
            )
            return _topic_page(request, who, questionnaire, number, status_code=unprocessable)
        if page is None or posted.action == "submit":
            return _summary_page(request, who, questionnaire, unprocessable)
        return _topic_page(request, who, questionnaire, page.number, status_code=unprocessable)
    if posted.action == "autosave":
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    url = request.app.url_path_for
    if posted.action == "submit":
        target = f"{url('submitted')}?status={outcome.status}"
    elif page is None and posted.action == "save":
        target = f"{url('questionnaire')}?status=saved"
    elif page is None or posted.action == "review":
        target = url("summary")
    elif posted.action == "next":
        target = (
            f"{url('questionnaire')}?topic={page.number + 1}"
            if page.number < len(pages)
            else url("summary")
        )
    elif posted.action == "previous":
        target = f"{url('questionnaire')}?topic={max(page.number - 1, 1)}"
    else:
        anchor = _anchor(form, page, posted.answers)
        target = f"{url('questionnaire')}?topic={page.number}&status=saved#{anchor}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
