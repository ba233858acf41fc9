"""The demo's real-time study: answered in turns with revisions, ranked, one checkpoint."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from app.answers.sheet import AnswerSheet
from app.db import unit_of_work
from app.demo import answers
from app.demo.constants import (
    LIVE_STUDY_FILE,
    LIVE_STUDY_KEY,
    RESPONSE_RATE,
)
from app.models import (
    Panelist,
    Round,
)
from app.panel.service import import_rows, list_for
from app.rounds import service as rounds
from app.studies import service as studies


def open_live_study(session: Session) -> None:
    from pathlib import Path

    from app.paths import ROOT

    survey = studies.import_file(session, Path(ROOT) / LIVE_STUDY_FILE, actor="demo")
    import_rows(session, survey, answers.panel_rows(survey), actor="demo")
    rounds.launch(session, survey, actor="demo")


def live_answers(rng: np.random.Generator) -> None:
    """Most of the panel answers a few statements each, in turns; a third of them come
    back and revise toward the feedback they now see; then a checkpoint is taken."""
    from app.db import Transactions
    from app.participation.schemas import Posted
    from app.realtime import checkpoints
    from app.realtime import service as realtime

    with unit_of_work() as session:
        survey = studies.get_by_key_or_raise(session, LIVE_STUDY_KEY)
        survey_id = survey.id
        live = checkpoints.live_round(session, survey)
        panel = [p.id for p in list_for(session, survey)]
        statement_ids = [item.statement_id for item in live.items]
        criteria = [(c.id, c.scale_low, c.scale_high) for c in survey.criteria]
        live_id = live.id
    centre = rng.uniform(0.4, 0.95, size=len(statement_ids))
    visits = [p for p in panel if rng.random() < RESPONSE_RATE] * 2
    for turn, panelist_id in enumerate(visits):
        with unit_of_work() as session:
            round_ = session.get_one(Round, live_id)
            who = answers.participant(session, round_, session.get_one(Panelist, panelist_id))
            seen = realtime.in_view(session, who)
            shown = sorted({sid for sid, _ in seen})
            revising = turn >= len(visits) // 2
            if revising and (not shown or rng.random() > 0.35):
                continue
            chosen = shown if revising else rng.choice(statement_ids, 6, replace=False)
            sheet = AnswerSheet()
            if not revising:  # ranked on the first visit, as the ratings suggest
                answers.rank(who, sheet, dict(zip(statement_ids, centre, strict=True)), rng)
            for sid in chosen:
                j = statement_ids.index(int(sid))
                for cid, low, high in criteria:
                    level = centre[j] + rng.normal(0, 0.15 if revising else 0.25)
                    rating = int(np.clip(np.rint(low + (high - low) * level), low, high))
                    sheet.ratings[(int(sid), cid)] = rating
                if rng.random() < 0.3:
                    sheet.reasons[int(sid)] = answers.a_reason(who.language, float(centre[j]), rng)
            posted = Posted(action="submit", answers=sheet)
            outcome = realtime.answer(session, who, posted, seen, set())
            assert outcome.status == "submitted", outcome.errors
    checkpoints.take(Transactions(), survey_id, actor="demo")
