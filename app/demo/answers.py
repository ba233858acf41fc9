"""How the demo's panelists answer: through their own service, as a browser's post would."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.answers.sheet import AnswerSheet
from app.demo.constants import (
    PANEL_SIZE,
    RESPONSE_RATE,
)
from app.demo.texts import (
    FIRST_NAMES,
    LAST_NAMES,
    REASONS_HIGH,
    REASONS_LOW,
    REASONS_OTHER,
)
from app.models import (
    AccessLink,
    Panelist,
    Round,
    Survey,
)
from app.panel.service import PanelRow, list_for
from app.participation import participant as participants
from app.participation import questionnaire as questionnaires
from app.participation import submit as submitting
from app.rankings import form as ranking_form


def panel_rows(survey: Survey) -> list[PanelRow]:
    groups = [g["key"] for g in survey.stakeholder_groups]
    return [
        PanelRow(
            email=f"panelist{i + 1:02d}@example.org",
            name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
            stakeholder_group=groups[i % len(groups)],
            # Every fourth panelist reads another language, each of the study's in turn.
            language=survey.languages[(i // 4) % len(survey.languages)] if i % 4 == 3 else "en",
        )
        for i in range(PANEL_SIZE)
    ]


def deliver_quietly() -> None:
    """Earlier rounds' invitations are written to the mail folder; their links are not printed."""
    from app.mail import worker

    with contextlib.redirect_stdout(io.StringIO()):
        worker.send_due()


def participant(session: Session, round_: Round, panelist: Panelist) -> participants.Participant:
    """The panelist as their link makes them known to the questionnaire."""
    link_id = session.scalar(
        select(AccessLink.id)
        .where(AccessLink.round_id == round_.id, AccessLink.panelist_id == panelist.id)
        .limit(1)
    )
    who = participants.participant(session, link_id)
    assert who is not None
    return who


def simulate(session: Session, survey: Survey, round_: Round, rng: np.random.Generator) -> None:
    """Answer ``round_`` for most of the panel with group-specific opinion profiles.

    Panelists give reasons in their own language, mark some of the reasons they are
    shown as persuasive and then move towards them, propose a statement now and then,
    and always explain a rating outside last round's middle range.
    """
    statements = [item.statement for item in round_.items]
    groups = [g["key"] for g in survey.stakeholder_groups]
    # Each statement gets a panel-wide centre; a few are contested between groups.
    centre = rng.uniform(0.45, 0.95, size=len(statements))
    contested = rng.random(len(statements)) < 0.3
    tilt = {g: rng.normal(0, 0.25, size=len(statements)) * contested for g in groups}
    for panelist in list_for(session, survey):
        if rng.random() > RESPONSE_RATE:
            continue
        who = participant(session, round_, panelist)
        sheet = AnswerSheet()
        shown = sorted(questionnaires.shown_reasons(session, who))
        sheet.persuasive = {r for r in shown if rng.random() < 0.3}
        for j, statement in enumerate(statements):
            level = np.clip(centre[j] + tilt[panelist.stakeholder_group][j], 0, 1)
            first_rating = None
            for criterion in survey.criteria:
                cannot_judge = bool(rng.random() < 0.03)
                span = criterion.scale_high - criterion.scale_low
                rating = int(
                    np.clip(
                        np.rint(criterion.scale_low + span * level + rng.normal(0, span * 0.15)),
                        criterion.scale_low,
                        criterion.scale_high,
                    )
                )
                if first_rating is None:
                    first_rating = None if cannot_judge else rating
                sheet.ratings[(statement.id, criterion.id)] = None if cannot_judge else rating
            if first_rating is not None and rng.random() < 0.3:
                sheet.reasons[statement.id] = a_reason(panelist.language, level, rng)
        levels = centre + tilt[panelist.stakeholder_group]
        rank(who, sheet, {s.id: levels[j] for j, s in enumerate(statements)}, rng)
        if rng.random() < 0.1 and who.proposal_topics:
            topic = who.proposal_topics[int(rng.integers(len(who.proposal_topics)))]
            sheet.proposals[topic] = "Member states share anonymised data on what works."
        needed = submitting.problems(session, who, sheet)
        for field_name in needed:
            if field_name.startswith("reason-"):
                sid = int(field_name.removeprefix("reason-"))
                sheet.reasons[sid] = a_reason(panelist.language, 0.3, rng)
        assert not submitting.submit(session, who, sheet)
    session.flush()


def rank(
    who: participants.Participant,
    sheet: AnswerSheet,
    level: dict[int, float],
    rng: np.random.Generator,
) -> None:
    """Each ranking question: the statements this panelist rates highest (with some noise)
    take the positions 1..N; a few panelists leave a topic unranked."""
    for group in ranking_form.groups(who.plan):
        if rng.random() < 0.05:
            continue
        ids = [item.statement_id for item in group.items]
        noisy = np.array([level[sid] for sid in ids]) + rng.normal(0, 0.15, size=len(ids))
        for position, k in enumerate(np.argsort(-noisy)[: group.places], start=1):
            sheet.ratings[(ids[k], group.criterion.id)] = position


def a_reason(language: str, level: float, rng: np.random.Generator) -> str:
    if language in REASONS_OTHER:
        pool = REASONS_OTHER[language]
    else:
        pool = REASONS_HIGH if level >= 0.6 else REASONS_LOW
    return pool[int(rng.integers(len(pool)))]
