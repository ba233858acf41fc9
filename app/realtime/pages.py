"""The panelist's pages of a real-time study: the live questionnaire, saving and submitting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.db import Transactions
from app.participation import schemas
from app.participation.pages import PanelistRoute, PostedForm, panelist_page, participant_or_404
from app.participation.participant import Participant
from app.rankings import form as ranking_form
from app.realtime import live, service
from app.web.csrf import CsrfProtected, csrf_token
from app.web.sessions import TransactionsDep

STATUS_FLAGS = ("saved", "submitted")

router = APIRouter(route_class=PanelistRoute, include_in_schema=False)


def _live_page(
    request: Request,
    who: Participant,
    page: service.LivePage,
    flag: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    return panelist_page(
        request,
        who,
        "participant/live.html",
        {"q": page, "flag": flag, "csrf_token": csrf_token(request)},
        status_code,
    )


@router.get("/live", name="live", responses={404: {"description": "No session"}})
async def show(
    request: Request,
    transactions: TransactionsDep,
    flag: Annotated[str | None, Query(alias="status")] = None,
) -> Response:
    """The live questionnaire with the feedback this panelist has earned; or the closed page."""
    return await run_in_threadpool(_show, request, transactions, flag)


def _show(request: Request, transactions: Transactions, flag: str | None) -> Response:
    with transactions.read() as session:
        who = participant_or_404(request, session)
        if not who.is_open:
            return panelist_page(request, who, "participant/live_closed.html", {"posted": False})
        page = service.page(session, who)
    return _live_page(request, who, page, flag if flag in STATUS_FLAGS else None)


@router.post(
    "/live",
    name="live_answer",
    dependencies=[CsrfProtected],
    responses={
        303: {"description": "Saved or submitted"},
        403: {"description": "CSRF token missing or wrong; nothing stored"},
        404: {"description": "No session"},
        409: {"description": "Study closed; answers kept as draft"},
        422: {"description": "Forged input (nothing stored) or incomplete (kept as draft)"},
    },
)
async def answer(request: Request, form: PostedForm, transactions: TransactionsDep) -> Response:
    """Save the draft, or submit (and revise) the statements answered."""
    return await run_in_threadpool(_answer, request, transactions, form)


def _answer(request: Request, transactions: Transactions, form: FormData) -> Response:
    # Read first, then write in one short transaction (as the round questionnaire does).
    with transactions.read() as session:
        who = participant_or_404(request, session)
        items = form.multi_items()
        posted = schemas.parse_form(
            items,
            who.plan.statement_ids,
            who.survey.criteria,
            rank_limits=ranking_form.position_limits(who.plan),
        )
        confirmed = service.confirmations(items, who.plan.statement_ids)
        seen = service.in_view(session, who)
    with transactions.write() as session:
        outcome = service.answer(session, who, posted, seen, confirmed)
        where = str(session.get_bind().engine.url)
    if outcome.recorded is not None:
        live.record(where, who.plan, outcome.recorded)
    if outcome.status == "closed":
        return panelist_page(
            request, who, "participant/live_closed.html", {"posted": True}, status.HTTP_409_CONFLICT
        )
    if outcome.status == "incomplete":
        with transactions.read() as session:
            page = service.page(session, who, posted.answers, outcome.errors)
        return _live_page(request, who, page, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    url = request.app.url_path_for("live")
    return RedirectResponse(f"{url}?status={outcome.status}", status_code=status.HTTP_303_SEE_OTHER)
