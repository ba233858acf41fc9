"""The panelist's pages: the emailed link, the questionnaire, saving and submitting."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app import i18n
from app.db import SessionDep, Transactions, TransactionsDep
from app.errors import NotFound
from app.participation import schemas, service
from app.web.admission import LANGUAGE_SESSION_KEY, POSTED_FIELDS, kept_fields
from app.web.csrf import SESSION_KEY as CSRF_SESSION_KEY
from app.web.csrf import CsrfProtected, csrf_token
from app.web.templating import templates

LINK_SESSION_KEY = "link_id"
STATUS_FLAGS = ("saved", "submitted", "proposed")

# Pages reached through bearer links: never cached (shared computers), never sent as a
# Referer to another site (the URL may hold the token).
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class LinkNotValid(NotFound):
    """Every failure to identify a panelist, indistinguishable from the outside."""

    def __init__(self) -> None:
        super().__init__("This link does not work")


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


def _participant(request: Request, session: Session) -> service.Participant:
    """The panelist of this browser session, from the link they opened."""
    who = service.participant(session, request.session.get(LINK_SESSION_KEY))
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


def _page(
    request: Request,
    who: service.Participant,
    template: str,
    context: dict[str, Any],
    status_code: int = status.HTTP_200_OK,
) -> Response:
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


def _questionnaire_page(
    request: Request,
    who: service.Participant,
    questionnaire: service.Questionnaire,
    flag: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    return _page(
        request,
        who,
        "participant/questionnaire.html",
        {"q": questionnaire, "flag": flag},
        status_code,
    )


@router.get("/r/{token:path}", name="open_link", responses={404: {"description": "Not valid"}})
def open_link(token: str, request: Request, session: SessionDep) -> Response:
    """Exchange an emailed link for a session cookie and a URL without the token."""
    link = service.exchange(session, token)
    if link is None:
        raise LinkNotValid()
    request.session[LINK_SESSION_KEY] = link.id
    request.session[LANGUAGE_SESSION_KEY] = service.language_of(session, link)
    # A fresh CSRF secret for the newly identified panelist (the browser may be shared).
    request.session.pop(CSRF_SESSION_KEY, None)
    csrf_token(request)
    return RedirectResponse(
        request.app.url_path_for("questionnaire"), status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/round", name="questionnaire", responses={404: {"description": "No session"}})
async def show_questionnaire(
    request: Request,
    transactions: TransactionsDep,
    flag: Annotated[str | None, Query(alias="status")] = None,
) -> Response:
    """The questionnaire, prefilled, with last round's feedback; or the round-closed page."""
    # One thread-pool call for the whole page (see answer()).
    return await run_in_threadpool(_show_questionnaire, request, transactions, flag)


def _show_questionnaire(request: Request, transactions: Transactions, flag: str | None) -> Response:
    with transactions.read() as session:
        who = _participant(request, session)
        if not who.is_open:
            return _page(request, who, "participant/closed.html", {"posted": False})
        questionnaire = service.questionnaire(session, who)
    return _questionnaire_page(request, who, questionnaire, flag if flag in STATUS_FLAGS else None)


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
    who = _participant(request, session)
    request.session[LANGUAGE_SESSION_KEY] = service.choose_language(session, who, language)
    return RedirectResponse(
        request.app.url_path_for("questionnaire"), status_code=status.HTTP_303_SEE_OTHER
    )


@router.post(
    "/round",
    name="answer",
    dependencies=[CsrfProtected],
    responses={
        303: {"description": "Saved or submitted"},
        403: {"description": "CSRF token missing or wrong; nothing stored"},
        404: {"description": "No session"},
        409: {"description": "Round closed; answers kept as draft"},
        422: {"description": "Forged input (nothing stored) or incomplete (kept as draft)"},
        503: {"description": "Server saturated; the page holds everything sent"},
    },
)
async def answer(request: Request, form: PostedForm, transactions: TransactionsDep) -> Response:
    """Save the draft or submit the answers."""
    # The form is parsed here, in the event loop; everything that touches the database
    # runs in one thread-pool call, which reads first and then writes in one short
    # transaction: on SQLite the write turn is held only while rows are written.
    return await run_in_threadpool(_answer, request, transactions, form)


def _answer(request: Request, transactions: Transactions, form: FormData) -> Response:
    with transactions.read() as session:
        who = _participant(request, session)
        shown = service.shown_reasons(session, who)
        posted = schemas.parse_form(
            form.multi_items(),
            who.plan.statement_ids,
            who.survey.criteria,
            proposal_topics=who.proposal_topics,
            shown_reasons=shown,
        )
        checked = (
            service.check(session, who, posted.answers, shown)
            if posted.action == "submit"
            else None
        )
    with transactions.write() as session:
        outcome = service.answer(session, who, posted, checked)
    if outcome.status == "closed":
        return _page(
            request, who, "participant/closed.html", {"posted": True}, status.HTTP_409_CONFLICT
        )
    if outcome.status == "incomplete":
        with transactions.read() as session:
            questionnaire = service.questionnaire(
                session, who, posted.answers, outcome.errors, posted.too_long
            )
        return _questionnaire_page(
            request, who, questionnaire, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    url = request.app.url_path_for("questionnaire")
    return RedirectResponse(f"{url}?status={outcome.status}", status_code=status.HTTP_303_SEE_OTHER)
