"""Factories for the panelist pages: a panel, an open round, a browser holding a link."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.models import Panelist, Reason, Response, Round, Submission, Survey
from app.rounds import links
from app.rounds import service as rounds

GROUPS = ("member-state", "ngo", "academia", "private-sector", "institute")


def add_panelist(
    db: Session, survey: Survey, n: int, *, language: str = "en", group: str | None = None
) -> Panelist:
    panelist = Panelist(
        survey_id=survey.id,
        email=f"panelist{n}@example.org",
        name=f"Panelist {n}",
        stakeholder_group=group or GROUPS[n % len(GROUPS)],
        language=language,
    )
    db.add(panelist)
    db.flush()
    return panelist


def token_for(db: Session, round_: Round, panelist: Panelist) -> str:
    """A fresh link token, minted the way a launch or reminder does."""
    url = links.mint(db, round_, panelist)
    db.flush()
    return url.rsplit("/r/", 1)[1]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match[1]


def full_form(survey: Survey, round_: Round, rating: int | str = 5) -> dict[str, str]:
    """Every statement rated ``rating`` (clipped to each scale) on every criterion."""
    form = {}
    for item in round_.items:
        for c in survey.criteria:
            value = (
                rating if isinstance(rating, str) else min(max(rating, c.scale_low), c.scale_high)
            )
            form[f"r-{item.statement_id}-{c.id}"] = str(value)
    return form


@dataclass
class Browser:
    """A panelist's browser: a client whose session holds their link."""

    client: TestClient
    panelist: Panelist
    round: Round

    def topic(self, number: int = 1, **query: str) -> str:
        """One topic page of the questionnaire."""
        response = self.client.get("/round", params={"topic": str(number), **query})
        assert response.status_code == 200, response.text
        return response.text

    def page(self) -> str:
        """The whole questionnaire: every topic page, one after the other."""
        first = self.topic(1)
        # The step list names every topic, then the summary.
        pages = first.count('class="steps__item"') - 1
        return "".join([first, *(self.topic(n) for n in range(2, pages + 1))])

    def summary(self) -> str:
        response = self.client.get("/round/summary")
        assert response.status_code == 200, response.text
        return response.text

    def post(self, form: dict[str, str], action: str = "save", csrf: str | None = None):  # type: ignore[no-untyped-def]
        token = csrf if csrf is not None else csrf_of(self.page())
        return self.client.post(
            "/round",
            data={**form, "action": action, "csrf_token": token},
            follow_redirects=False,
        )


@pytest.fixture
def panel(db: Session, survey: Survey) -> list[Panelist]:
    return [add_panelist(db, survey, n) for n in range(6)]


@pytest.fixture
def round1(db: Session, survey: Survey, panel: list[Panelist]) -> Round:
    return rounds.launch(db, survey, actor="test")


@pytest.fixture
def enter(client: TestClient, db: Session) -> Callable[[Round, Panelist], Browser]:
    def _enter(round_: Round, panelist: Panelist) -> Browser:
        response = client.get(f"/r/{token_for(db, round_, panelist)}", follow_redirects=False)
        assert response.status_code == 303, response.text
        return Browser(client=client, panelist=panelist, round=round_)

    return _enter


@pytest.fixture
def browser(
    enter: Callable[[Round, Panelist], Browser], round1: Round, panel: list[Panelist]
) -> Browser:
    return enter(round1, panel[0])


_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr path rect line".split()
)


class Page(HTMLParser):
    """The parts of a page the tests look at: elements by tag, ids, and the text a reader
    sees (entities decoded, whitespace collapsed)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.ids: set[str] = set()
        self._text: list[str] = []
        self._hidden: list[bool] = []  # per open element: whether it has ``hidden``
        self.feed(html)
        self.text = " ".join(" ".join(self._text).split())

    def handle_data(self, data: str) -> None:
        if not any(self._hidden):
            self._text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag not in _VOID:
            self._hidden.append("hidden" in attributes)
        self.tags.setdefault(tag, []).append(attributes)
        if "id" in attributes:
            self.ids.add(attributes["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self._hidden:
            self._hidden.pop()

    def all(self, tag: str, **match: str) -> list[dict[str, str]]:
        return [a for a in self.tags.get(tag, []) if all(a.get(k) == v for k, v in match.items())]


def stored(db: Session, round_: Round) -> dict[str, int]:
    """What the round holds: submitted answer rows and reasons, answered draft cells and
    draft reasons (summed over every panelist)."""
    counts = {
        model.__tablename__: int(
            db.scalar(select(func.count()).select_from(model).where(model.round_id == round_.id))
            or 0
        )
        for model in (Response, Reason)
    }
    survey = db.get_one(Survey, round_.survey_id)
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    drafts = db.execute(
        select(Submission.draft_cells, Submission.draft_reasons).where(
            Submission.round_id == round_.id
        )
    ).all()
    counts["draft"] = sum(len(layout.decode(cells)) for cells, _ in drafts)
    counts["draft_reasons"] = sum(len(reasons or {}) for _, reasons in drafts)
    return counts


NOTHING = {"response": 0, "reason": 0, "draft": 0, "draft_reasons": 0}


def submitted_ratings(db: Session, round_: Round) -> dict[tuple[int, int], int | None]:
    """The submitted ratings of the round, from the queryable rows."""
    rows = db.execute(
        select(Response.statement_id, Response.criterion_id, Response.rating).where(
            Response.round_id == round_.id
        )
    )
    return {(s, c): r for s, c, r in rows}


def draft_ratings(db: Session, round_: Round) -> dict[tuple[int, int], int | None]:
    """The draft ratings of the round (every panelist's, merged: tests use one)."""
    survey = db.get_one(Survey, round_.survey_id)
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    merged: dict[tuple[int, int], int | None] = {}
    for cells in db.scalars(select(Submission.draft_cells).where(Submission.round_id == round_.id)):
        merged.update(layout.decode(cells))
    return merged
