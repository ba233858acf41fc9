"""Launching a round for 10,000 panelists, delivering its mail, starting the CLI (a script).

1. Launch: ``app.rounds.service.launch`` for a panel of 10,000 (the demo study's 27
   statements; links minted, invitations queued, one transaction, commit included),
   against a bare Core insert of the same rows (the round, its items, one access link
   with a token hash and one outbox row with a sealed link per panelist, the audit row)
   in one transaction. Alternating, three times each, each on a study of its own, on
   SQLite and PostgreSQL. Goal: < 2 s.
2. Mail: the outbox worker (``app.mail.worker.send_due`` until the queue is empty)
   delivering 2,000 invitations to an aiosmtpd server on loopback, against a bare
   ``smtplib`` loop that builds the same messages (same headers and parts, taken from
   what the server received) and sends them over one connection. Alternating, three
   times each, on SQLite (mail does not depend on the database kind beyond the queue).
   Goal: >= 50% of the bare loop's messages per second.
3. CLI start: ``delphi survey list`` as a fresh process, against ``python -c 'import
   sqlalchemy'`` (the least any command reading the database loads); and whether it
   imported scipy (a command that needs no statistics must not). Goal: < 0.5 s. The
   command is run as ``python -c 'from app.cli import main; main()'`` from the checkout,
   so that it is this checkout's code even where the installed ``delphi`` is another's.

    .venv/bin/python tests/benchmarks/bench_launch.py [--quick] [--databases sqlite]
"""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from typing import Any

import harness
from harness import Results

PANEL = 10_000
MESSAGES = 2_000
LAUNCH_GOAL_S = 2.0
MAIL_GOAL = 0.5
START_GOAL_S = 0.5


# ---------------------------------------------------------------------- launching


def make_studies(count: int, panel: int, prefix: str) -> list[int]:
    """``count`` copies of the demo study, each with a panel of ``panel`` (no round yet)."""
    import yaml
    from sqlalchemy import insert

    from app.db import unit_of_work
    from app.models import Panelist
    from app.models.base import utcnow
    from app.studies import service as studies

    definition = yaml.safe_load(harness.STUDY_FILE.read_text(encoding="utf-8"))
    groups = [g["key"] for g in definition["stakeholder_groups"]]
    ids = []
    for n in range(count):
        key = f"{prefix}-{n}"
        definition["key"] = key
        source = yaml.safe_dump(definition, allow_unicode=True)
        with unit_of_work() as session:
            survey = studies.create(session, studies.parse(source, key), source, actor="bench")
            rows = [
                {
                    "survey_id": survey.id,
                    "email": f"panelist{i}@example.org",
                    "name": f"Panelist {i}",
                    "stakeholder_group": groups[i % len(groups)],
                    "language": "en",
                    "created_at": utcnow(),
                }
                for i in range(panel)
            ]
            for start in range(0, len(rows), 5_000):
                session.execute(insert(Panelist.__table__), rows[start : start + 5_000])
            ids.append(survey.id)
    return ids


def launch_app(survey_id: int) -> float:
    from app.db import unit_of_work
    from app.models import Survey
    from app.rounds import service as rounds

    start = time.perf_counter()
    with unit_of_work() as session:
        rounds.launch(session, session.get_one(Survey, survey_id), actor="bench")
    return time.perf_counter() - start


def launch_bare(survey_id: int) -> float:
    """The same rows as a launch, written with Core inserts in one transaction."""
    from sqlalchemy import insert, select

    from app.config import get_settings
    from app.db import unit_of_work
    from app.models import (
        AccessLink,
        AuditLog,
        Outbox,
        Panelist,
        Round,
        RoundItem,
        RoundState,
        Statement,
        Survey,
    )
    from app.models.base import today, utcnow
    from app.security import hash_token, new_token, seal

    base = get_settings().base_url.rstrip("/")
    start = time.perf_counter()
    with unit_of_work() as session:
        title = session.scalar(select(Survey.title).where(Survey.id == survey_id))
        statements = list(
            session.scalars(
                select(Statement.id)
                .where(Statement.survey_id == survey_id)
                .order_by(Statement.position, Statement.id)
            )
        )
        panel = session.execute(
            select(Panelist.id, Panelist.email, Panelist.name, Panelist.language)
            .where(Panelist.survey_id == survey_id)
            .order_by(Panelist.id)
        ).all()
        round_id = session.execute(
            insert(Round)
            .values(survey_id=survey_id, number=1, state=RoundState.OPEN, opened_at=utcnow())
            .returning(Round.id)
        ).scalar_one()
        session.execute(
            insert(RoundItem),
            [
                {"round_id": round_id, "statement_id": s, "position": i}
                for i, s in enumerate(statements)
            ],
        )
        tokens = [new_token() for _ in panel]
        day = today()
        session.execute(
            insert(AccessLink),
            [
                {
                    "round_id": round_id,
                    "panelist_id": p.id,
                    "token_hash": hash_token(t),
                    "created_on": day,
                }
                for p, t in zip(panel, tokens, strict=True)
            ],
        )
        now = utcnow()
        session.execute(
            insert(Outbox),
            [
                {
                    "kind": "invitation",
                    "to_address": p.email,
                    "language": p.language,
                    "template": "invitation",
                    "context": {
                        "name": p.name,
                        "survey_title": title.get(p.language) or title["en"],
                        "round_number": 1,
                        "statements": len(statements),
                        "deadline": None,
                    },
                    "secret": seal(f"{base}/r/{t}"),
                    "next_attempt_at": now,
                }
                for p, t in zip(panel, tokens, strict=True)
            ],
        )
        session.execute(
            insert(AuditLog).values(
                actor="bench",
                action="round.launch",
                survey_id=survey_id,
                detail={"round": 1, "statements": len(statements), "invited": len(panel)},
            )
        )
    return time.perf_counter() - start


def measure_launch(kind: str, results: Results, panel: int, repetitions: int) -> None:
    label = "SQLite" if kind == "sqlite" else "PostgreSQL"
    print(f"\n== launch for {panel:,} panelists, {label}", flush=True)
    with harness.scratch_database(kind, "launch") as url, harness.app_database(url):
        warm = make_studies(1, 10, "bench-warm")[0]
        launch_app(warm)  # imports and caches, not counted
        apps = make_studies(repetitions, panel, "bench-launch")
        bares = make_studies(repetitions, panel, "bench-bare")
        launch_bare(make_studies(1, 10, "bench-warm-bare")[0])
        mine, theirs = [], []
        for n in range(repetitions):
            steps = [(launch_app, apps[n], mine), (launch_bare, bares[n], theirs)]
            for fn, survey_id, times in steps if n % 2 == 0 else steps[::-1]:
                times.append(fn(survey_id))
            print(f"  launch {mine[-1]:.2f} s   bare insert {theirs[-1]:.2f} s", flush=True)
        check_same_rows(apps[0], bares[0])
    ours, bare = harness.median(mine), harness.median(theirs)
    results.add(
        f"launch for {panel:,} panelists, {label}",
        f"{ours:.2f} s",
        f"{bare:.2f} s (bare insert)",
        f"{harness.ratio(ours, bare):.1f}x",
        f"< {LAUNCH_GOAL_S:g} s",
        ours < LAUNCH_GOAL_S,
    )


def check_same_rows(app_survey: int, bare_survey: int) -> None:
    """The bare insert wrote as many rows of each kind as the launch did."""
    from sqlalchemy import func, select

    from app.db import read_session
    from app.models import AccessLink, Outbox, Round, RoundItem

    def counts(survey_id: int) -> tuple[int, int]:
        with read_session() as session:
            round_id = session.scalar(select(Round.id).where(Round.survey_id == survey_id))
            items = session.scalar(
                select(func.count()).select_from(RoundItem).where(RoundItem.round_id == round_id)
            )
            links = session.scalar(
                select(func.count()).select_from(AccessLink).where(AccessLink.round_id == round_id)
            )
            return int(items or 0), int(links or 0)

    with read_session() as session:
        outbox = session.scalar(select(func.count()).select_from(Outbox))
    mine, theirs = counts(app_survey), counts(bare_survey)
    if mine != theirs:
        raise RuntimeError(f"the bare insert wrote {theirs}, the launch {mine}")
    print(f"  same rows: {mine[0]} items, {mine[1]} links each; {outbox} outbox rows in all")


# -------------------------------------------------------------------------- mail


class Mailbox:
    """aiosmtpd handler: counts what arrives, keeps the messages of the latest run."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.received.append(envelope.original_content)
        return "250 Message accepted for delivery"


def rebuild(raw: bytes) -> tuple[str, str, dict[str, str], list[tuple[str, str]]]:
    """Sender, recipient, headers and (subtype, text) parts of a received message."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    headers = {k: str(parsed[k]) for k in ("Subject", "From", "To", "Message-ID", "Date")}
    parts = [
        (part.get_content_subtype(), part.get_content())
        for part in parsed.walk()
        if part.get_content_maintype() == "text"
    ]
    return headers["From"], headers["To"], headers, parts


def send_bare(
    port: int, templates: list[tuple[str, str, dict[str, str], list[tuple[str, str]]]]
) -> float:
    """Build each message (EmailMessage) and send it, all over one SMTP connection."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipient, headers, parts in templates:
            message = EmailMessage()
            for name, value in headers.items():
                message[name] = value
            (_, first), *rest = parts
            message.set_content(first)
            for subtype, body in rest:
                message.add_alternative(body, subtype=subtype)
            smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    return time.perf_counter() - start


def send_worker() -> tuple[float, int]:
    from app.mail import worker

    start = time.perf_counter()
    sent = 0
    while True:
        result = worker.send_due(limit=100)
        sent += result.sent
        if result.sent == 0 and result.retrying == 0:
            break
        if result.retrying:
            raise RuntimeError(f"{result.retrying} messages could not be delivered")
    return time.perf_counter() - start, sent


def measure_mail(results: Results, messages: int, repetitions: int) -> None:
    from aiosmtpd.controller import Controller

    print(f"\n== outbox worker: {messages:,} invitations to aiosmtpd on loopback", flush=True)
    mailbox = Mailbox()
    port = harness.free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    os.environ["DELPHI_MAIL_BACKEND"] = "smtp"
    os.environ["DELPHI_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        with harness.scratch_database("sqlite", "mail") as url, harness.app_database(url):
            studies = make_studies(repetitions, messages, "bench-mail")
            mine, theirs = [], []
            templates: list[Any] = []
            for n in range(repetitions):
                launch_app(studies[n])
                steps = ("worker", "bare") if n % 2 == 0 or not templates else ("bare", "worker")
                for step in steps:
                    if step == "worker":
                        with mailbox.lock:
                            mailbox.received.clear()
                        seconds, sent = send_worker()
                        if sent != messages or len(mailbox.received) != messages:
                            raise RuntimeError(
                                f"worker sent {sent}, server got {len(mailbox.received)}"
                            )
                        with mailbox.lock:
                            templates = [rebuild(raw) for raw in mailbox.received]
                        mine.append(messages / seconds)
                    else:
                        theirs.append(messages / send_bare(port, templates))
                print(
                    f"  worker {mine[-1]:.0f} msg/s   bare smtplib {theirs[-1]:.0f} msg/s",
                    flush=True,
                )
    finally:
        controller.stop()
        os.environ.pop("DELPHI_MAIL_BACKEND", None)
        os.environ.pop("DELPHI_SMTP_URL", None)
    ours, bare = harness.median(mine), harness.median(theirs)
    share = harness.ratio(ours, bare)
    results.add(
        f"outbox worker, {messages:,} messages to loopback SMTP",
        f"{ours:.0f} msg/s",
        f"{bare:.0f} msg/s (bare smtplib)",
        f"{share:.2f}",
        f">= {MAIL_GOAL:.2f} of bare",
        share >= MAIL_GOAL,
    )


# ----------------------------------------------------------------------- the CLI


def measure_start(results: Results, repetitions: int) -> None:
    print("\n== process start: delphi survey list", flush=True)
    delphi = [sys.executable, "-c", "from app.cli import main; main()"]
    with harness.scratch_database("sqlite", "cli") as url:
        env = {**os.environ, "DELPHI_DATABASE_URL": url}
        with harness.app_database(url):
            make_studies(1, 10, "bench-cli")

        def timed(command: list[str]) -> float:
            start = time.perf_counter()
            subprocess.run(command, env=env, cwd=harness.ROOT, capture_output=True, check=True)
            return time.perf_counter() - start

        timed([*delphi, "survey", "list"])  # warm the file cache
        mine, theirs = [], []
        for n in range(repetitions):
            steps = [
                (mine, [*delphi, "survey", "list"]),
                (theirs, [sys.executable, "-c", "import sqlalchemy"]),
            ]
            for times, command in steps if n % 2 == 0 else steps[::-1]:
                times.append(timed(command))
        imports = subprocess.run(
            [sys.executable, "-X", "importtime", *delphi[1:], "survey", "list"],
            env=env,
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if "|" in line}
    heavy = sorted(m for m in ("scipy", "numpy", "fastapi", "jinja2") if m in modules)
    ours, bare = harness.median(mine), harness.median(theirs)
    results.add(
        "process start: delphi survey list",
        f"{ours:.2f} s",
        f"{bare:.2f} s (import sqlalchemy)",
        f"{harness.ratio(ours, bare):.1f}x",
        f"< {START_GOAL_S:g} s, no scipy",
        ours < START_GOAL_S and "scipy" not in modules,
    )
    results.add(
        "  imports of delphi survey list",
        ", ".join(heavy) or "none of scipy, numpy, fastapi, jinja2",
    )


def main() -> None:
    options = harness.parser(__doc__.splitlines()[0])
    options.add_argument("--repetitions", type=int, help="runs per figure and system (3)")
    options.add_argument("--messages", type=int, help="invitations to deliver (2,000)")
    args = options.parse_args()
    repetitions = args.repetitions or (1 if args.quick else 3)
    panel = 1_000 if args.quick else PANEL
    messages = args.messages or (200 if args.quick else MESSAGES)
    with harness.session_of("bench_launch", args) as results:
        for kind in harness.databases(args):
            measure_launch(kind, results, panel, repetitions)
        measure_mail(results, messages, repetitions)
        measure_start(results, repetitions)


if __name__ == "__main__":
    main()
