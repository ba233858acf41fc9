"""Sustained writers and a crashed server: no 5xx, no acknowledged write lost, nothing
half-stored."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from app.answers import service as answers_store
from app.db import unit_of_work
from app.models import Respondent, Response, Submission
from app.security import respondent_key
from tests.reliability.conftest import Browser, OpenRound, Site, browsers, close_all, load
from tests.reliability.figures import FIGURES

pytestmark = pytest.mark.e2e

WRITERS = 20
SECONDS = 30.0


def _stored(site: Site, opened: OpenRound) -> dict[int, tuple[dict[str, str], dict[str, str], int]]:
    """Per panelist id: the submitted set, the draft (as form fields) and its response rows."""
    with unit_of_work() as session:
        survey, round_ = load(session, opened)
        layout = answers_store.layout_of(round_, survey.answer_criteria)
        by_key = {respondent_key(survey.id, pid): pid for pid in opened.panelist_ids}
        rows = dict(
            session.execute(
                select(Response.respondent_id, func.count())
                .where(Response.round_id == round_.id)
                .group_by(Response.respondent_id)
            ).all()
        )
        result = {}
        for rid, key, cells, draft in session.execute(
            select(Respondent.id, Respondent.key, Submission.cells, Submission.draft_cells)
            .join(Submission, Submission.respondent_id == Respondent.id)
            .where(Submission.round_id == round_.id)
        ):

            def as_form(blob: bytes | None) -> dict[str, str]:
                return {f"r-{s}-{c}": str(v) for (s, c), v in layout.decode(blob).items()}

            result[by_key[key]] = (as_form(cells), as_form(draft), int(rows.get(rid, 0)))
        return result


def test_twenty_writers_for_thirty_seconds_lose_nothing(site: Site) -> None:
    """Each writer saves and submits versions in turn; the last acknowledged one is stored."""
    opened = site.new_study(WRITERS)

    async def run() -> tuple[Counter[int], dict[int, tuple[str, int]]]:
        made = await browsers(site, opened)
        last: dict[int, tuple[str, int]] = {}
        statuses: Counter[int] = Counter()
        stop = time.monotonic() + SECONDS

        async def write(i: int, browser: Browser) -> None:
            version = 0
            while time.monotonic() < stop:
                version += 1
                action = "submit" if version % 2 else "save"
                response = await browser.post(opened.form(version), action)
                statuses[response.status_code] += 1
                if response.status_code == 303:
                    last[i] = (action, version)

        try:
            await asyncio.gather(*(write(i, b) for i, b in enumerate(made)))
        finally:
            await close_all(made)
        return statuses, last

    statuses, last = asyncio.run(run())
    FIGURES.append(
        f"{'PostgreSQL' if site.is_postgres else 'SQLite'} {WRITERS} writers, {SECONDS:.0f} s: "
        f"{dict(sorted(statuses.items()))}"
    )
    assert not any(code >= 500 for code in statuses), statuses
    assert set(statuses) == {303}
    stored = _stored(site, opened)
    for i, pid in enumerate(opened.panelist_ids):
        action, version = last[i]
        submitted, draft, rows = stored[pid]
        if action == "submit":
            assert submitted == opened.form(version)
            assert draft == {}
        else:
            assert draft == opened.form(version)
            assert submitted == opened.form(version - 1)
        assert rows == len(opened.cells)


def test_a_server_killed_mid_burst_leaves_whole_answer_sets(site: Site) -> None:
    """SIGKILL during submits: every acknowledged set is stored, and no set is partial."""
    opened = site.new_study(60)

    async def run() -> list[httpx.Response | BaseException]:
        made = await browsers(site, opened)

        async def submit(i: int, browser: Browser) -> httpx.Response:
            await asyncio.sleep(i * 0.01)
            return await browser.post(opened.form(i), "submit")

        async def kill() -> None:
            await asyncio.sleep(0.3)
            site.deployment.kill()

        try:
            *results, _ = await asyncio.gather(
                *(submit(i, b) for i, b in enumerate(made)), kill(), return_exceptions=True
            )
        finally:
            await close_all(made)
        return list(results)

    results = asyncio.run(run())
    acknowledged = [
        i for i, r in enumerate(results) if isinstance(r, httpx.Response) and r.status_code == 303
    ]
    failed = [r for r in results if not isinstance(r, httpx.Response)]
    FIGURES.append(
        f"{'PostgreSQL' if site.is_postgres else 'SQLite'} SIGKILL mid-burst: "
        f"{len(acknowledged)} acknowledged, {len(failed)} cut off"
    )
    assert failed, "the kill came after every submit finished; nothing was tested"
    assert all(isinstance(r, httpx.TransportError) for r in failed)
    site.deployment.serve(workers=2 if site.is_postgres else 1)
    stored = _stored(site, opened)
    for i in acknowledged:
        submitted, _, _ = stored[opened.panelist_ids[i]]
        assert submitted == opened.form(i)
    for i, pid in enumerate(opened.panelist_ids):
        if pid in stored:
            submitted, _, rows = stored[pid]
            # All or nothing: a set is either whole (and its rows with it) or absent.
            assert submitted in ({}, opened.form(i))
            assert rows == (len(opened.cells) if submitted else 0)
    # The restarted server still serves the round.
    assert httpx.get(f"{site.deployment.base_url}/healthz", timeout=10).status_code == 200
