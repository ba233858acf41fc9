"""A real server on a fresh database, a study with a big panel, and browsers over HTTP.

The set-up runs in this process against the same database as the server (SQLite file or
PostgreSQL scratch database); everything the tests then do goes through HTTP.

The in-process fixtures of tests/app (database, application, client, a signed-in
facilitator, a panel with an open round) serve the tests that need no real server.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.orm import Session

from app.console import accounts
from app.db import unit_of_work
from app.models import Role, Round, Survey
from app.rounds import links
from app.rounds import service as rounds
from app.studies import service as studies
from app.team import service as team
from tests.app.conftest import (  # noqa: F401
    STUDY_FILE,
    app,
    client,
    database_url,
    db,
    db_engine,
    live_database,
    migrate,
    scratch_database,
    survey,
)
from tests.app.console.conftest import facilitator, post_form, signed_in  # noqa: F401
from tests.app.factories import make_panel
from tests.app.participation.conftest import panel, round1  # noqa: F401
from tests.e2e.conftest import Deployment

FACILITATOR_EMAIL = "facilitator@example.org"
FACILITATOR_PASSWORD = "reliability passphrase"
# Generous for a loaded 2-core machine; no request should come near it.
HTTP_TIMEOUT = 60.0
ENTER_RETRIES = 5
# A fresh connection per request: uvicorn closes idle keep-alive connections after 5 s,
# and a POST sent on one it is closing at that instant fails (no client retries a POST).
FRESH_CONNECTIONS = httpx.Limits(max_keepalive_connections=0)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match[1]


@dataclass
class Site:
    """The server under test and the database it shares with the test."""

    deployment: Deployment
    database_url: str
    studies: int = 0

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def new_study(self, panel_size: int) -> OpenRound:
        """A fresh copy of the demo study with an open round 1 and ``panel_size`` panelists."""
        self.studies += 1
        key = f"burst-{self.studies}"
        definition = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
        definition["key"] = key
        text = yaml.safe_dump(definition, allow_unicode=True)
        with unit_of_work() as session:
            survey = studies.create(session, studies.parse(text, key), text, actor="test")
            facilitator = accounts.get_by_email(session, FACILITATOR_EMAIL)
            if facilitator is not None:
                team.add(session, survey, facilitator, Role.OWNER, actor="test")
            panel = make_panel(session, survey, panel_size)
            round_ = rounds.launch(session, survey, actor="test")
            tokens = [links.mint(session, round_, p).rsplit("/r/", 1)[1] for p in panel]
            cells = [
                (item.statement_id, c.id, c.scale_low, c.scale_high)
                for item in round_.items
                for c in survey.criteria
            ]
            return OpenRound(
                key=key,
                survey_id=survey.id,
                round_id=round_.id,
                panelist_ids=[p.id for p in panel],
                tokens=tokens,
                cells=cells,
            )


@dataclass
class OpenRound:
    key: str
    survey_id: int
    round_id: int
    panelist_ids: list[int]
    tokens: list[str]
    cells: list[tuple[int, int, int, int]]  # statement id, criterion id, scale low, high

    def form(self, version: int) -> dict[str, str]:
        """Every cell rated: ``version`` wrapped onto each scale, so versions differ."""
        return {
            f"r-{sid}-{cid}": str(low + version % (high - low + 1))
            for sid, cid, low, high in self.cells
        }


@dataclass
class Browser:
    """One panelist's browser: its own cookies and the questionnaire's CSRF token."""

    client: httpx.AsyncClient
    csrf: str = ""
    seen: list[int] = field(default_factory=list)

    async def enter(self, token: str) -> None:
        opened = await self.client.get(f"/r/{token}")
        assert opened.status_code == 303, opened.text
        page = await self.client.get("/round")
        # Entering is the set-up, not what is tested: a page the server refused as busy
        # (503, its designed answer to a full pool) is asked again, a few times at most.
        for attempt in range(1, ENTER_RETRIES + 1):
            if page.status_code != 503:
                break
            await asyncio.sleep(0.5 * attempt)
            page = await self.client.get("/round")
        assert page.status_code == 200, page.text
        self.csrf = csrf_of(page.text)

    async def post(self, form: dict[str, str], action: str) -> httpx.Response:
        response = await self.client.post(
            "/round", data={**form, "action": action, "csrf_token": self.csrf}
        )
        self.seen.append(response.status_code)
        return response


async def browsers(site: Site, opened: OpenRound) -> list[Browser]:
    """One browser per panelist, each through its own link (20 opened at a time)."""
    gate = asyncio.Semaphore(20)
    made = [
        Browser(
            httpx.AsyncClient(
                base_url=site.deployment.base_url,
                timeout=HTTP_TIMEOUT,
                follow_redirects=False,
                limits=FRESH_CONNECTIONS,
            )
        )
        for _ in opened.tokens
    ]

    async def enter(browser: Browser, token: str) -> None:
        async with gate:
            await browser.enter(token)

    await asyncio.gather(*(enter(b, t) for b, t in zip(made, opened.tokens, strict=True)))
    return made


async def close_all(made: list[Browser]) -> None:
    await asyncio.gather(*(b.client.aclose() for b in made))


async def console(site: Site) -> httpx.AsyncClient:
    """A facilitator signed in to the console."""
    facilitator_browser = httpx.AsyncClient(
        base_url=site.deployment.base_url,
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
        limits=FRESH_CONNECTIONS,
    )
    form = await facilitator_browser.get("/console/login")
    response = await facilitator_browser.post(
        "/console/login",
        data={
            "csrf_token": csrf_of(form.text),
            "email": FACILITATOR_EMAIL,
            "password": FACILITATOR_PASSWORD,
            "next": "",
        },
    )
    assert response.status_code == 303, response.text
    return facilitator_browser


def load(session: Session, opened: OpenRound) -> tuple[Survey, Round]:
    return session.get_one(Survey, opened.survey_id), session.get_one(Round, opened.round_id)


@pytest.fixture
def site(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    """The server (1 worker on SQLite, 2 on PostgreSQL) on a fresh migrated database."""
    from app.config import get_settings
    from app.db import get_engine

    for url in scratch_database(tmp_path_factory, "reliability"):
        migrate(url)
        monkeypatch.setenv("DELPHI_DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        with unit_of_work() as session:
            accounts.create(
                session, email=FACILITATOR_EMAIL, name="Facilitator", password=FACILITATOR_PASSWORD
            )
        deployment = Deployment(url, smtp_port=9, workdir=tmp_path)
        site = Site(deployment=deployment, database_url=url)
        deployment.serve(workers=2 if site.is_postgres else 1)
        try:
            yield site
        finally:
            deployment.stop()
            get_engine().dispose()
            get_engine.cache_clear()
            get_settings.cache_clear()
