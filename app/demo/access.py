"""What the demo prints: fresh credentials, sample links and the state of each study."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.demo.constants import (
    FACILITATOR_EMAIL,
    LIVE_STUDY_KEY,
    PILOT_KEY,
)
from app.models import (
    ApiKey,
    Facilitator,
    Role,
    Round,
    RoundState,
    Survey,
)
from app.rounds import links, repository
from app.rounds import service as rounds
from app.schedule.plan import as_utc
from app.security import hash_password
from app.studies import service as studies
from app.team import service as team


@dataclass(frozen=True)
class DemoAccess:
    facilitator_password: str
    api_key: str
    panelist_links: list[tuple[str, str]]
    rounds: list[str]  # one line per round, as the database has it now
    open_round: int | None
    replaced: bool  # an earlier run's password and key were replaced
    live_links: list[tuple[str, str]]  # links to the real-time study
    live: str  # the real-time study as it is now


def collect(session: Session, survey: Survey, fresh: bool) -> DemoAccess:
    """Fresh credentials each run: passwords and keys are stored only hashed."""
    password = secrets.token_urlsafe(12)
    facilitator = session.scalar(select(Facilitator).where(Facilitator.email == FACILITATOR_EMAIL))
    replaced = facilitator is not None
    if facilitator is None:
        facilitator = Facilitator(
            email=FACILITATOR_EMAIL,
            name="Demo facilitator",
            password_hash=hash_password(password),
        )
        session.add(facilitator)
        session.flush()
    else:
        facilitator.password_hash = hash_password(password)
    if team.role_of(session, survey.id, facilitator) is None:
        team.add(session, survey, facilitator, Role.OWNER, actor="demo")
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
    live_study = studies.get_by_key_or_raise(session, LIVE_STUDY_KEY)
    live_round = repository.open_round(session, live_study)
    live_links: list[tuple[str, str]] = []
    live = "closed"
    if live_round is not None:
        invited = links.invited(session, live_round)[:3]
        live_links = [(str(p.email), links.mint(session, live_round, p)) for p in invited]
        taken = len(repository.rounds_of(session, live_study)) - 1
        st = rounds.status(session, live_round)
        live = f"open, {st.submitted} of {st.invited} have answered, {taken} checkpoint(s)"
    return DemoAccess(
        facilitator_password=password,
        api_key=api_key,
        panelist_links=sample,
        rounds=[_describe(session, r) for r in repository.rounds_of(session, survey)],
        open_round=open_round.number if open_round else None,
        replaced=replaced and not fresh,
        live_links=live_links,
        live=live,
    )


def _describe(session: Session, round_: Round) -> str:
    """``round 2: open, 12 of 40 submitted, closes 2027-03-01 23:59 UTC`` as it is now."""
    st = rounds.status(session, round_)
    line = f"round {round_.number}: {round_.state.value}, {st.submitted} of {st.invited} submitted"
    if round_.deadline is not None:
        verb = "closes" if round_.state == RoundState.OPEN else "deadline"
        line += f", {verb} {as_utc(round_.deadline):%Y-%m-%d %H:%M} UTC"
    return line


def show(access: DemoAccess, port: int, *, worker_beside: bool) -> None:
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
        f"  Final report of the finished pilot study: {base}/console/studies/{PILOT_KEY}/report",
        "",
        f"Real-time study '{LIVE_STUDY_KEY}': {access.live}.",
        "  Panelist links (feedback on a statement appears once you and 5 others answered it):",
        *(f"    {email:<28} {link}" for email, link in access.live_links),
        f"  Checkpoints and the initial-condition guard: {base}/console/studies/"
        f"{LIVE_STUDY_KEY}/live",
        "",
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
