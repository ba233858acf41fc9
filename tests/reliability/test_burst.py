"""The deadline rush on a real server: a close lands while 200 answers are in flight.

Every submission must end as one of: counted (303), refused because the round closed
(409, kept as the panelist's draft) or refused because the server is saturated (503 with
``Retry-After``, its page holding everything sent) - never another 5xx, never lost.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import select

from app.answers import service as answers_store
from app.db import unit_of_work
from app.models import Respondent, Submission
from app.rounds import repository
from app.security import respondent_key
from tests.reliability.conftest import (
    Browser,
    OpenRound,
    Site,
    browsers,
    close_all,
    console,
    csrf_of,
    load,
)
from tests.reliability.figures import FIGURES

pytestmark = pytest.mark.e2e

PANEL = 200
REPETITIONS = 5
# No request may wait longer than this for its answer: the admission wait (4 s) and the
# lock wait (5 s) are bounded, and the work itself takes milliseconds.
BOUND_SECONDS = 10.0


async def _burst(site: Site, opened: OpenRound, seed: int) -> tuple[list[httpx.Response], float]:
    """200 submits at once and a close among them; the responses and the close's time."""
    made = await browsers(site, opened)
    facilitator = await console(site)
    try:
        confirm = await facilitator.get(f"/console/studies/{opened.key}/rounds/1/close")
        token = csrf_of(confirm.text)
        rng = random.Random(seed)

        async def submit(i: int, browser: Browser) -> httpx.Response:
            await asyncio.sleep(rng.uniform(0, 0.5))
            return await browser.post(opened.form(i), "submit")

        async def close() -> float:
            await asyncio.sleep(rng.uniform(0.1, 0.4))
            started = time.monotonic()
            response = await facilitator.post(
                f"/console/studies/{opened.key}/rounds/1/close", data={"csrf_token": token}
            )
            assert response.status_code == 303, response.text
            return time.monotonic() - started

        *responses, took = await asyncio.gather(
            *(submit(i, b) for i, b in enumerate(made)), close()
        )
        return list(responses), float(took)
    finally:
        await close_all(made)
        await facilitator.aclose()


def _hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


@pytest.mark.parametrize("repetition", range(REPETITIONS))
def test_a_close_during_200_submissions_loses_nothing(site: Site, repetition: int) -> None:
    opened = site.new_study(PANEL)
    started = time.monotonic()
    responses, close_took = asyncio.run(_burst(site, opened, seed=repetition))
    statuses = Counter(r.status_code for r in responses)
    FIGURES.append(
        f"{'PostgreSQL' if site.is_postgres else 'SQLite'} burst {repetition}: "
        f"{dict(sorted(statuses.items()))}, close {close_took:.2f} s"
    )
    assert set(statuses) <= {303, 409, 503}, statuses
    assert close_took < BOUND_SECONDS
    assert all(r.elapsed.total_seconds() < BOUND_SECONDS for r in responses)
    assert time.monotonic() - started < 120
    with unit_of_work() as session:
        survey, round_ = load(session, opened)
        snapshot = repository.snapshot_of(session, round_)
        assert snapshot is not None
        # Every 303 is counted, nothing else is.
        assert snapshot.responded == statuses[303]
        layout = answers_store.layout_of(round_, survey.answer_criteria)
        stored = {
            key: (cells, draft)
            for key, cells, draft in session.execute(
                select(Respondent.key, Submission.cells, Submission.draft_cells)
                .join(Submission, Submission.respondent_id == Respondent.id)
                .where(Submission.round_id == round_.id)
            )
        }
        for i, (pid, response) in enumerate(zip(opened.panelist_ids, responses, strict=True)):
            posted = opened.form(i)
            cells, draft = stored.get(respondent_key(survey.id, pid), (None, None))
            as_form = {f"r-{s}-{c}": str(v) for (s, c), v in layout.decode(cells or draft).items()}
            if response.status_code == 303:
                assert cells is not None
                assert as_form == posted
            elif response.status_code == 409:
                assert "This round has closed" in response.text
                assert cells is None
                assert draft is not None
                assert as_form == posted
            else:
                assert response.headers["retry-after"]
                hidden = _hidden_fields(response.text)
                assert {k: v for k, v in hidden.items() if k.startswith("r-")} == posted
