"""The round-2 questionnaire page against a bare Jinja page of the same size (a script).

The demo study as ``make demo`` seeds it (40 panelists, round 1 answered and closed,
round 2 open with last round's feedback on every statement), served by a real uvicorn
server (one worker on SQLite, two on PostgreSQL). wrk fetches ``GET /round`` at 20
connections, rotating over every panelist's session (opened through the real link
exchange). The baseline is ``floor_app.create_page_app``: a minimal FastAPI app
rendering a bare autoescaped Jinja template to a page of the same number of bytes, served
the same way. They run alternately, three times each; medians are printed.

Goal (issue 12): >= 70% of the bare page's throughput.

    .venv/bin/python tests/benchmarks/bench_questionnaire.py [--quick] [--databases sqlite]
        [--seconds 5] [--profile DIR]  (--profile uses yappi, in the test extra)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import harness
import httpx
from harness import Load, Results, Server

CONNECTIONS = 20


def seed_demo() -> list[str]:
    """The demo's data, as ``make demo`` seeds it; a round-2 link for every panelist."""
    import numpy as np

    from app import demo
    from app.db import unit_of_work
    from app.models import Panelist
    from app.rounds import links, repository
    from app.studies import service as studies

    with unit_of_work() as session:
        demo.study.open_round_zero(session)
    rng = np.random.default_rng(demo.SEED)
    # Rounds 0 and 1 answered and closed, round 2 open: the demo stops one round short.
    for step in (demo.study.round_zero, demo.study.round_one):
        with unit_of_work() as session:
            step(session, studies.get_by_key_or_raise(session, demo.STUDY_KEY), rng)
    with unit_of_work() as session:
        survey = studies.get_by_key_or_raise(session, demo.STUDY_KEY)
        round_2 = repository.open_round(session, survey)
        assert round_2 is not None
        panel = session.query(Panelist).filter_by(survey_id=survey.id).order_by(Panelist.id)
        return [links.mint(session, round_2, p).rsplit("/r/", 1)[1] for p in panel]


def measure(
    kind: str,
    results: Results,
    *,
    repetitions: int,
    seconds: float,
    profile: Path | None,
    clock: str = "cpu",
) -> None:
    label = {"sqlite": "SQLite, 1 worker", "postgresql": "PostgreSQL, 2 workers"}[kind]
    print(f"\n== round-2 questionnaire, {label}", flush=True)
    workers = harness.WORKERS[kind]
    with (
        harness.scratch_database(kind, "page") as url,
        harness.app_database(url),
        tempfile.TemporaryDirectory(prefix="delphi-bench-page-") as tmp,
    ):
        tokens = seed_demo()
        with Server("app.main:create_app", url, workers=workers) as app:
            sessions = harness.open_sessions(app.base_url, tokens)
            cookie = f"{harness.SESSION_COOKIE}={sessions[0].cookie}"
            page = httpx.get(app.base_url + "/round", headers={"Cookie": cookie}, timeout=60)
            size = len(page.content)
            statements = page.text.count('<article class="statement"')
            app_requests = harness.write_requests(
                Path(tmp) / "app.tsv",
                [
                    ("GET", "/round", f"{harness.SESSION_COOKIE}={s.cookie}", "", "")
                    for s in sessions
                ],
            )
            floor_requests = harness.write_requests(
                Path(tmp) / "floor.tsv", [("GET", "/round", "", "", "")]
            )
            bare = Server(
                "floor_app:create_page_app",
                url,
                workers=workers,
                env={"PYTHONPATH": str(harness.HERE), "BENCH_PAGE_BYTES": str(size)},
            )
            with bare:
                bare_size = len(httpx.get(bare.base_url + "/round", timeout=60).content)
                print(
                    f"  page: {size / 1024:.0f} KiB ({statements} statements); bare page "
                    f"{bare_size / 1024:.0f} KiB",
                    flush=True,
                )
                systems = ((app, app_requests), (bare, floor_requests))
                for server, requests in systems:  # warm-up, not counted
                    harness.wrk(
                        server.base_url + "/round",
                        harness.ROTATE_LUA,
                        connections=CONNECTIONS,
                        seconds=2,
                        env={"BENCH_REQUESTS": str(requests)},
                    )
                runs: tuple[list[Load], list[Load]] = ([], [])
                for repetition in range(repetitions):
                    order = systems if repetition % 2 == 0 else systems[::-1]
                    for server, requests in order:
                        runs[0 if server is app else 1].append(
                            harness.wrk(
                                server.base_url + "/round",
                                harness.ROTATE_LUA,
                                connections=CONNECTIONS,
                                seconds=seconds,
                                env={"BENCH_REQUESTS": str(requests)},
                            )
                        )
                mine, theirs = harness.combine(runs[0]), harness.combine(runs[1])
                print(f"  app  {mine.describe()}\n  bare {theirs.describe()}", flush=True)
        if profile is not None:
            name = f"questionnaire-{kind}-{clock}"
            profile_page(url, workers, app_requests, profile / name, seconds, clock)
    share = harness.ratio(mine.rps, theirs.rps)
    results.add(
        f"questionnaire {label}, {CONNECTIONS} conn: req/s",
        f"{mine.rps:.0f} req/s",
        f"{theirs.rps:.0f} req/s (bare Jinja)",
        f"{share:.2f}",
        ">= 0.70 of bare page",
        share >= 0.7 and mine.errors == 0,
    )
    results.add(
        f"questionnaire {label}: p99, size, errors",
        f"{mine.p99_ms:.0f} ms, {size / 1024:.0f} KiB, {mine.errors}",
        f"{theirs.p99_ms:.0f} ms, {bare_size / 1024:.0f} KiB, {theirs.errors}",
        f"{harness.ratio(mine.p99_ms, theirs.p99_ms):.2f}",
        "printed",
    )


def profile_page(
    url: str, workers: int, requests: Path, out: Path, seconds: float, clock: str
) -> None:
    """The application under yappi during one more run at 20 connections."""
    with harness.profiled_server(url, out, workers=workers, clock=clock) as server:
        harness.wrk(  # warm-up, not profiled
            server.base_url + "/round",
            harness.ROTATE_LUA,
            connections=CONNECTIONS,
            seconds=5,
            env={"BENCH_REQUESTS": str(requests)},
        )
        harness.profile_from_now(server)
        harness.wrk(
            server.base_url + "/round",
            harness.ROTATE_LUA,
            connections=CONNECTIONS,
            seconds=max(seconds, 8.0),
            env={"BENCH_REQUESTS": str(requests)},
        )
    lines = harness.summarize_profile(harness.profile_files(out))
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nprofile of the questionnaire page ({out}.txt):\n" + "\n".join(lines), flush=True)


def main() -> None:
    options = harness.parser(__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, help="seconds per wrk run (default 5)")
    options.add_argument("--repetitions", type=int, help="runs per system (3)")
    options.add_argument("--profile", type=Path, help="profile the server (yappi) into this folder")
    args = options.parse_args()
    harness.require_wrk()
    repetitions = args.repetitions or (1 if args.quick else 3)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with harness.session_of("bench_questionnaire", args) as results:
        for kind in harness.databases(args):
            measure(
                kind,
                results,
                repetitions=repetitions,
                seconds=seconds,
                profile=args.profile,
                clock=args.profile_clock,
            )


if __name__ == "__main__":
    main()
