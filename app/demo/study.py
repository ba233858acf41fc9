"""The demo's main study through rounds 0 to 2 (round 3 left open) and its finished pilot."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from app.answers.sheet import AnswerSheet
from app.demo import answers
from app.demo.constants import (
    FACILITATOR_EMAIL,
    PILOT_KEY,
    PILOT_PANEL,
    STUDY_FILE,
)
from app.demo.texts import (
    ACCEPTED,
    FIRST_NAMES,
    LAST_NAMES,
    PROPOSALS,
    REWORD_NOTE,
    SPLIT_NOTES,
)
from app.models import (
    HiddenCause,
    ProposalState,
    Reason,
    Statement,
    StatementOrigin,
    Survey,
)
from app.panel.service import PanelRow, import_rows, list_for
from app.participation.submit import submit
from app.proposals import service as proposal_store
from app.reasons import service as reason_store
from app.rounds import service as rounds
from app.statements import service as statement_store
from app.studies import service as studies


def open_round_zero(session: Session) -> None:
    from pathlib import Path

    from app.paths import ROOT

    survey = studies.import_file(session, Path(ROOT) / STUDY_FILE, actor="demo")
    import_rows(session, survey, answers.panel_rows(survey), actor="demo")
    rounds.launch(session, survey, actor="demo", proposals_only=True)


def pilot(session: Session, rng: np.random.Generator) -> None:
    """A pilot of the study in two rounds, its plan amended once, finished."""
    from pathlib import Path

    from app.analysis import plan
    from app.paths import ROOT

    text = (Path(ROOT) / STUDY_FILE).read_text(encoding="utf-8")
    parsed = studies.parse(text, STUDY_FILE)
    title = {lang: f"Pilot: {value}" for lang, value in parsed.title.items()}
    survey = studies.create(
        session, parsed.model_copy(update={"key": PILOT_KEY, "title": title}), text, actor="demo"
    )
    groups = [g["key"] for g in survey.stakeholder_groups]
    rows = [
        PanelRow(
            email=f"pilot{i + 1:02d}@example.org",
            name=f"{FIRST_NAMES[(i + 3) % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
            stakeholder_group=groups[i % len(groups)],
            language="en",
        )
        for i in range(PILOT_PANEL)
    ]
    import_rows(session, survey, rows, actor="demo")
    for number in (1, 2):
        round_ = rounds.launch(session, survey, actor="demo")
        answers.simulate(session, survey, round_, rng)
        rounds.close(session, survey, round_, actor="demo")
        if number == 1:
            plan.amend(
                session,
                survey,
                [plan.Setting("stability_threshold", "0.2")],
                reason="The pilot's panel is small: a net change of 15% is a handful of people.",
                actor=FACILITATOR_EMAIL,
            )
    # Closing cancelled the rounds' unsent invitations: the pilot leaves no mail behind.
    rounds.finish(session, survey, actor="demo")


def round_zero(session: Session, survey: Survey, rng: np.random.Generator) -> None:
    """Round 0 answered with proposals, closed and curated; round 1 launched."""
    round_0 = rounds.get_or_raise(session, survey, 0)
    topics = {t.key: t for t in survey.topics}
    panel = list_for(session, survey)
    offered = [(key, lang, text) for key, items in PROPOSALS.items() for lang, text in items]
    for n, (key, language, text) in enumerate(offered):
        panelist = next(p for p in panel[n:] if p.language == language)
        who = answers.participant(session, round_0, panelist)
        submit(session, who, AnswerSheet(proposals={topics[key].id: text}))
    rounds.close(session, survey, round_0, actor="demo")
    pending = {p.text: p for p in proposal_store.list_for(session, survey)}
    for text, translated in ACCEPTED.items():
        proposal = pending.get(text)
        if proposal is None:  # proposed in a later round
            continue
        topic = next(t for t in survey.topics if t.id == proposal.topic_id)
        proposal_store.accept(session, survey, proposal, translated, topic, actor="demo")
    duplicate = pending["Every member state publishes a yearly report on ransomware incidents."]
    proposal_store.reject(
        session,
        survey,
        duplicate,
        "Says the same as the proposal on annual ransomware reports, which stays pending.",
        actor="demo",
    )
    target = next(s for s in survey.statements if s.key == "cyber-02")
    proposal_store.merge(
        session,
        survey,
        pending["Créer un réseau régional de laboratoires de criminalistique numérique."],
        target,
        None,
        actor="demo",
    )
    rounds.launch(session, survey, actor="demo")


def round_one(session: Session, survey: Survey, rng: np.random.Generator) -> None:
    """Round 1 answered with reasons and closed; a reason hidden; statements reworded,
    split and dropped; round 2 launched."""
    round_1 = rounds.get_or_raise(session, survey, 1)
    answers.simulate(session, survey, round_1, rng)
    rounds.close(session, survey, round_1, actor="demo")
    first = reason_store.round_reasons(session, survey, round_1)[0]
    reason_store.hide(
        session,
        survey,
        round_1,
        session.get_one(Reason, first.id),
        HiddenCause.PERSONAL_DATA,
        actor="demo",
    )
    active = {s.key: s for s in statement_store.for_next_round(session, survey)}
    carried = [s for s in active.values() if s.origin == StatementOrigin.SEEDED]
    if carried:
        _reword(session, survey, carried[0])
    if len(carried) > 2:
        whole = carried[1].text
        statement_store.split(
            session,
            survey,
            carried[1],
            [
                {lang: f"{text.rstrip('.')} ({note[lang]})." for lang, text in whole.items()}
                for note in SPLIT_NOTES
            ],
            actor="demo",
        )
        statement_store.drop(
            session,
            survey,
            carried[2],
            "Overlaps with a statement the panel already agreed on.",
            actor="demo",
        )
    rounds.launch(session, survey, actor="demo")


def round_two(session: Session, survey: Survey, rng: np.random.Generator) -> None:
    """Round 2 answered (reasons marked persuasive) and closed; a proposal from it
    accepted and a statement reworded; round 3, the last, launched."""
    round_2 = rounds.get_or_raise(session, survey, 2)
    answers.simulate(session, survey, round_2, rng)
    rounds.close(session, survey, round_2, actor="demo")
    for proposal in proposal_store.list_for(session, survey, ProposalState.PENDING):
        if proposal.round_id == round_2.id:
            topic = next(t for t in survey.topics if t.id == proposal.topic_id)
            text = ACCEPTED[proposal.text]
            proposal_store.accept(session, survey, proposal, text, topic, actor="demo")
            break
    carried = [
        s
        for s in statement_store.for_next_round(session, survey)
        if s.origin == StatementOrigin.SEEDED
    ]
    if carried:
        _reword(session, survey, carried[0])
    rounds.launch(session, survey, actor="demo")


def _reword(session: Session, survey: Survey, statement: Statement) -> None:
    """A clearer wording, in every language of the study."""
    text = {
        lang: f"{value.rstrip('.')} ({REWORD_NOTE[lang]})."
        for lang, value in statement.text.items()
    }
    statement_store.reword(session, survey, statement, text, actor="demo")
