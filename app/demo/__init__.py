"""The demo: a seeded study through the whole cycle between rounds.

Round 0 collects the panel's proposals, which a facilitator curates (accepted, merged,
rejected, some left pending); rounds 1 and 2 are answered with reasons in the panelists'
languages (one reason hidden by moderation, some marked persuasive in the round after),
statements are reworded, split and dropped between rounds, and round 3 is open with
the reword notices and the panel's new statements. Beside it, a finished two-round pilot
of the same study (its plan amended once) has a final report to open. Every answer goes
through the panelists' own service, as a browser's post would.

A second study runs in real time: most of the panel answered some statements and ranked
each topic's strategies, some revised after seeing the panel's feedback, one checkpoint
is taken, and it stays open.
"""

from __future__ import annotations

import numpy as np

from app.db import unit_of_work
from app.demo import access, answers, live, study
from app.demo.access import DemoAccess
from app.demo.constants import (
    FACILITATOR_EMAIL,
    LIVE_STUDY_FILE,
    LIVE_STUDY_KEY,
    PANEL_SIZE,
    PILOT_KEY,
    PILOT_PANEL,
    RESPONSE_RATE,
    SEED,
    STUDY_FILE,
    STUDY_KEY,
)
from app.studies import service as studies

__all__ = [
    "DemoAccess",
    "run",
    "STUDY_FILE",
    "STUDY_KEY",
    "PILOT_KEY",
    "PILOT_PANEL",
    "LIVE_STUDY_FILE",
    "LIVE_STUDY_KEY",
    "FACILITATOR_EMAIL",
    "PANEL_SIZE",
    "RESPONSE_RATE",
    "SEED",
]


def run(port: int = 8000, *, worker_beside: bool = False) -> DemoAccess:
    """Migrate, seed (once) and print how to get in. Safe to run again.

    ``worker_beside`` says the caller starts ``delphi worker`` next to the server, which
    changes what is printed about the queued mail.
    """
    from alembic import command

    from app.paths import alembic_config

    command.upgrade(alembic_config(), "head")
    with unit_of_work() as session:
        fresh = studies.get_by_key(session, STUDY_KEY) is None
        if fresh:
            study.open_round_zero(session)
        if studies.get_by_key(session, PILOT_KEY) is None:
            study.pilot(session, np.random.default_rng(SEED + 1))
    if fresh:
        rng = np.random.default_rng(SEED)
        # The worker uses its own connections, so each round must be committed first.
        for step in (study.round_zero, study.round_one, study.round_two):
            answers.deliver_quietly()
            with unit_of_work() as session:
                step(session, studies.get_by_key_or_raise(session, STUDY_KEY), rng)
    with unit_of_work() as session:
        live_fresh = studies.get_by_key(session, LIVE_STUDY_KEY) is None
        if live_fresh:
            live.open_live_study(session)
    if live_fresh:
        answers.deliver_quietly()
        live.live_answers(np.random.default_rng(SEED + 1))
    with unit_of_work() as session:
        shown = access.collect(session, studies.get_by_key_or_raise(session, STUDY_KEY), fresh)
    access.show(shown, port, worker_beside=worker_beside)
    return shown
