"""The demo: a seeded study with round 1 simulated and closed and round 2 open."""

from __future__ import annotations

import contextlib
import io
import secrets
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet
from app.config import get_settings
from app.db import unit_of_work
from app.models import ApiKey, Facilitator, Round, RoundState, Survey
from app.panel import respondents
from app.panel.service import PanelRow, import_rows, list_for
from app.rounds import links, repository
from app.rounds import service as rounds
from app.schedule.plan import as_utc
from app.security import hash_password
from app.studies import service as studies

STUDY_FILE = "surveys/crime-prevention-strategy.yaml"
STUDY_KEY = "crime-prevention-2027"
FACILITATOR_EMAIL = "facilitator@example.org"
PANEL_SIZE = 40
RESPONSE_RATE = 0.9
SEED = 2027

FIRST_NAMES = [
    "Amina",
    "Bruno",
    "Chen",
    "Dalia",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lucia",
    "Mehdi",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samir",
    "Tanvi",
]
LAST_NAMES = [
    "Abebe",
    "Bianchi",
    "Castro",
    "Diallo",
    "Eriksen",
    "Fofana",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kamau",
    "Lopez",
    "Mensah",
    "Nguyen",
    "Okafor",
    "Petrov",
]
REASONS_HIGH = [
    "Evidence from our region shows this works when it is properly funded.",
    "This is already a gap that practitioners raise in every regional meeting.",
    "Low cost compared to the harm it prevents.",
]
REASONS_LOW = [
    "Useful in principle, but few states have the institutional capacity for it.",
    "The human-rights risks are not addressed in this wording.",
    "Other measures would give more prevention per dollar.",
]


@dataclass(frozen=True)
class DemoAccess:
    facilitator_password: str
    api_key: str
    panelist_links: list[tuple[str, str]]
    rounds: list[str]  # one line per round, as the database has it now
    open_round: int | None
    replaced: bool  # an earlier run's password and key were replaced


def run(port: int = 8000, *, worker_beside: bool = False) -> DemoAccess:
    """Migrate, seed (once) and print how to get in. Safe to run again.

    ``worker_beside`` says the caller starts ``delphi worker`` next to the server, which
    changes what is printed about the queued mail.
    """
    from alembic import command

    from app.cli import alembic_config

    command.upgrade(alembic_config(), "head")
    with unit_of_work() as session:
        fresh = studies.get_by_key(session, STUDY_KEY) is None
        if fresh:
            _open_round_one(session)
    if fresh:
        # The worker uses its own connections, so round 1 must be committed first.
        _deliver_quietly()
        with unit_of_work() as session:
            _answer_round_one_and_open_round_two(session)
    with unit_of_work() as session:
        access = _access(session, studies.get_by_key_or_raise(session, STUDY_KEY), fresh)
    _print(access, port, worker_beside=worker_beside)
    return access


def _open_round_one(session: Session) -> None:
    from pathlib import Path

    from app.cli import ROOT

    survey = studies.import_file(session, Path(ROOT) / STUDY_FILE, actor="demo")
    groups = [g["key"] for g in survey.stakeholder_groups]
    rows = [
        PanelRow(
            email=f"panelist{i + 1:02d}@example.org",
            name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
            stakeholder_group=groups[i % len(groups)],
            language=survey.languages[i % len(survey.languages)] if i % 4 == 3 else "en",
        )
        for i in range(PANEL_SIZE)
    ]
    import_rows(session, survey, rows, actor="demo")
    rounds.launch(session, survey, actor="demo")


def _answer_round_one_and_open_round_two(session: Session) -> None:
    survey = studies.get_by_key_or_raise(session, STUDY_KEY)
    round_1 = rounds.get_or_raise(session, survey, 1)
    _simulate(session, survey, round_1, np.random.default_rng(SEED))
    rounds.close(session, survey, round_1, actor="demo")
    rounds.launch(session, survey, actor="demo")


def _deliver_quietly() -> None:
    """Round 1's invitations are written to the mail folder; their links are not printed."""
    from app.mail import worker

    with contextlib.redirect_stdout(io.StringIO()):
        worker.send_due()


def _simulate(session: Session, survey: Survey, round_: Round, rng: np.random.Generator) -> None:
    """Answer ``round_`` for most of the panel with group-specific opinion profiles."""
    statements = [item.statement for item in round_.items]
    groups = [g["key"] for g in survey.stakeholder_groups]
    # Each statement gets a panel-wide centre; a few are contested between groups.
    centre = rng.uniform(0.45, 0.95, size=len(statements))
    contested = rng.random(len(statements)) < 0.3
    tilt = {g: rng.normal(0, 0.25, size=len(statements)) * contested for g in groups}
    layout = answers_store.layout_of(round_, survey.criteria)
    for panelist in list_for(session, survey):
        if rng.random() > RESPONSE_RATE:
            continue
        sheet = AnswerSheet()
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
            if first_rating is not None and rng.random() < 0.25:
                pool = REASONS_HIGH if level >= 0.6 else REASONS_LOW
                sheet.reasons[statement.id] = pool[int(rng.integers(len(pool)))]
        respondent = respondents.find_or_create(session, panelist)
        answers_store.submit(
            session, round_.id, respondent.id, layout, sheet, language=survey.default_language
        )
    session.flush()


def _access(session: Session, survey: Survey, fresh: bool) -> DemoAccess:
    """Fresh credentials each run: passwords and keys are stored only hashed."""
    password = secrets.token_urlsafe(12)
    facilitator = session.scalar(select(Facilitator).where(Facilitator.email == FACILITATOR_EMAIL))
    replaced = facilitator is not None
    if facilitator is None:
        session.add(
            Facilitator(
                email=FACILITATOR_EMAIL,
                name="Demo facilitator",
                password_hash=hash_password(password),
            )
        )
    else:
        facilitator.password_hash = hash_password(password)
    from app.api import keys

    for old in session.scalars(select(ApiKey).where(ApiKey.name == "demo")):
        session.delete(old)
    session.flush()
    api_key = keys.create(session, name="demo")
    open_round = repository.open_round(session, survey)
    sample: list[tuple[str, str]] = []
    if open_round is not None:
        invited = links.invited(session, open_round)[:3]
        sample = [(str(p.email), links.mint(session, open_round, p)) for p in invited]
    return DemoAccess(
        facilitator_password=password,
        api_key=api_key,
        panelist_links=sample,
        rounds=[_describe(session, r) for r in repository.rounds_of(session, survey)],
        open_round=open_round.number if open_round else None,
        replaced=replaced and not fresh,
    )


def _describe(session: Session, round_: Round) -> str:
    """``round 2: open, 12 of 40 submitted, closes 2027-03-01 23:59 UTC`` as it is now."""
    st = rounds.status(session, round_)
    line = f"round {round_.number}: {round_.state.value}, {st.submitted} of {st.invited} submitted"
    if round_.deadline is not None:
        verb = "closes" if round_.state == RoundState.OPEN else "deadline"
        line += f", {verb} {as_utc(round_.deadline):%Y-%m-%d %H:%M} UTC"
    return line


def _print(access: DemoAccess, port: int, *, worker_beside: bool) -> None:
    base = get_settings().base_url.rstrip("/")
    mail_dir = get_settings().mail_dir
    lines = [
        "",
        "Delphi demo is ready: 'Crime-prevention strategy'.",
        *(f"  {line}" for line in access.rounds),
        f"  Serving on        {base}   (port {port})",
        f"  Console           {base}/console/login",
        f"    email           {FACILITATOR_EMAIL}",
        f"    password        {access.facilitator_password}",
    ]
    if access.open_round is not None:
        lines += [
            f"  Panelist links for round {access.open_round} (each is personal, "
            "like the emailed ones):",
            *(f"    {email:<28} {link}" for email, link in access.panelist_links),
        ]
    else:
        lines.append("  No round is open: launch the next one from the console.")
    lines += [
        f"  Analyst API key   {access.api_key}",
        f"    try: curl -H 'Authorization: Bearer {access.api_key}' {base}/api/v1/studies",
        f"  API reference     {base}/docs  and  {base}/redoc",
    ]
    if worker_beside:
        lines.append(
            f"  The worker runs beside the server: queued mail is written to {mail_dir}/ "
            "and each link printed below."
        )
    else:
        lines.append(
            f"  Queued mail waits in the outbox: `.venv/bin/delphi worker` writes it to "
            f"{mail_dir}/ and prints every link."
        )
    if access.replaced:
        lines += [
            "",
            "  Note: this run replaced the demo facilitator's password and the 'demo' API key;",
            "  the ones printed by an earlier run no longer work.",
        ]
    lines.append("")
    print("\n".join(lines))  # noqa: T201 - the demo's whole point is to show these
