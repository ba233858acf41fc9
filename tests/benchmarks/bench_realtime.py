"""A real-time study under load: the live feedback page and the submit path (a script).

The real-time demo study (27 statements x 2 criteria) gets 1,000 panelists who answered
every statement, so each statement's feedback is about 1,000 answers. Through a real
uvicorn server (one worker on SQLite, two on PostgreSQL) it then measures

- the live page of a panelist who sees the feedback on all 27 statements: sequential
  GETs with the figures kept per process (``DELPHI_LIVE_MAX_AGE`` 2 s, the default) and
  rebuilt from the database on every view (``DELPHI_LIVE_MAX_AGE=0``);
- real-time submits per second: ``--clients`` panelists at once each revising one
  statement again and again (a POST answered by a 303) for ``--seconds``.

    .venv/bin/python tests/benchmarks/bench_realtime.py [--quick] [--databases sqlite]
        [--seconds 10] [--clients 20]
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from dataclasses import dataclass

import harness
from harness import Server

PANEL = 1000
VIEWS = 30
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STUDY_FILE = harness.ROOT / "surveys" / "crime-prevention-realtime.yaml"


@dataclass(frozen=True)
class LiveStudy:
    tokens: list[str]
    cells: list[tuple[int, int, int, int]]  # statement id, criterion id, scale low, high


def seed(key: str) -> LiveStudy:
    """The real-time study as ``key`` with every panelist's answers to every statement."""
    import numpy as np
    import yaml

    from app.answers import live as live_answers
    from app.answers.sheet import AnswerSheet
    from app.db import unit_of_work
    from app.models import Panelist
    from app.panel import respondents
    from app.rounds import links
    from app.rounds import service as rounds
    from app.rounds.plan import plan_of
    from app.studies import service as studies

    definition = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
    definition["key"] = key
    source = yaml.safe_dump(definition, allow_unicode=True)
    groups = [g["key"] for g in definition["stakeholder_groups"]]
    rng = np.random.default_rng(1)
    with unit_of_work() as session:
        survey = studies.create(session, studies.parse(source, key), source, actor="bench")
        panel = [
            Panelist(
                survey_id=survey.id,
                email=f"panelist{i}@example.org",
                name=f"Panelist {i}",
                stakeholder_group=groups[i % len(groups)],
                language="en",
            )
            for i in range(PANEL)
        ]
        session.add_all(panel)
        session.flush()
        round_ = rounds.launch(session, survey, actor="bench")
        plan = plan_of(session, round_.id, round_.opened_at, round_.number)
        cells = [
            (item.statement_id, c.id, c.scale_low, c.scale_high)
            for item in round_.items
            for c in survey.criteria
        ]
        tokens = [links.mint(session, round_, p).rsplit("/r/", 1)[1] for p in panel]
        statements = [item.statement_id for item in round_.items]
        for panelist in panel:
            respondent = respondents.find_or_create(session, panelist)
            sheet = AnswerSheet(
                ratings={
                    (sid, cid): int(rng.integers(low, high + 1)) for sid, cid, low, high in cells
                }
            )
            live_answers.submit_statements(
                session,
                round_.id,
                respondent.id,
                plan.layout,
                sheet,
                list(sheet.ratings),
                language="en",
                in_view=(),
                confirmed=(),
                reasons_for=statements,
            )
        return LiveStudy(tokens=tokens, cells=cells)


def open_session(client, token: str) -> str:  # type: ignore[no-untyped-def]
    """The link exchange; the live page's CSRF token (the cookie stays in ``client``)."""
    opened = client.get(f"/r/{token}")
    assert opened.status_code == 303, opened.status_code
    page = client.get("/live")
    found = CSRF.search(page.text)
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"the live page answered {page.status_code}")
    return found[1]


def page_times(base_url: str, token: str) -> list[float]:
    import httpx

    with httpx.Client(base_url=base_url, timeout=60) as client:
        open_session(client, token)
        client.get("/live")  # warm: the figures are kept from here on
        times = []
        for _ in range(VIEWS):
            start = time.perf_counter()
            page = client.get("/live")
            times.append(time.perf_counter() - start)
            assert page.status_code == 200
            assert page.text.count('class="feedback"') == 27, "every statement's feedback"
        return times


def submits(base_url: str, study: LiveStudy, clients: int, seconds: float) -> tuple[int, int]:
    """(answers stored, errors) of ``clients`` panelists revising for ``seconds``."""
    import httpx

    # The sessions are opened first, one at a time: only the submits are timed.
    cookies = []
    for index in range(clients):
        with httpx.Client(base_url=base_url, timeout=60) as client:
            csrf = open_session(client, study.tokens[index])
            cookies.append((dict(client.cookies), csrf))

    async def one(index: int, stop: float) -> tuple[int, int]:
        jar, csrf = cookies[index]
        async with httpx.AsyncClient(base_url=base_url, timeout=60, cookies=jar) as client:
            stored = errors = 0
            k = 0
            while time.monotonic() < stop:
                sid, _, _, _ = study.cells[(2 * (index + k)) % len(study.cells)]
                data = {"csrf_token": csrf, "action": "submit"}
                for s, cid, low, high in study.cells:
                    if s == sid:
                        data[f"r-{s}-{cid}"] = str(low + (k + index) % (high - low + 1))
                response = await client.post("/live", data=data)
                if response.status_code == 303:
                    stored += 1
                else:
                    errors += 1
                k += 1
            return stored, errors

    async def every() -> list[tuple[int, int]]:
        stop = time.monotonic() + seconds
        return list(await asyncio.gather(*(one(i, stop) for i in range(clients))))

    results = asyncio.run(every())
    return sum(r[0] for r in results), sum(r[1] for r in results)


def main() -> None:
    options = harness.parser(__doc__ or "")
    options.add_argument("--seconds", type=float, default=10.0)
    options.add_argument("--clients", type=int, default=20)
    args = options.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    with harness.session_of("bench_realtime", args) as results:
        for kind in harness.databases(args):
            with harness.scratch_database(kind, "realtime") as url, harness.app_database(url):
                started = time.monotonic()
                study = seed("bench-realtime")
                print(f"{kind}: seeded {PANEL} x 54 answers in {time.monotonic() - started:.0f} s")
                workers = harness.WORKERS[kind]
                for age in ("2", "0"):
                    env = {"DELPHI_LIVE_MAX_AGE": age}
                    with Server("app.main:create_app", url, workers=workers, env=env) as server:
                        times = page_times(server.base_url, study.tokens[0])
                    label = "kept" if age == "2" else "rebuilt each view"
                    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
                    results.add(
                        f"{kind}: live page (27 statements x 1,000 answers), figures {label}",
                        f"median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms",
                    )
                with Server("app.main:create_app", url, workers=workers) as server:
                    stored, errors = submits(server.base_url, study, args.clients, seconds)
                results.add(
                    f"{kind}: real-time submits, {args.clients} panelists at once",
                    f"{stored / seconds:.0f} answers/s, {errors} errors",
                )


if __name__ == "__main__":
    main()
