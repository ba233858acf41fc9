"""Submitting a full answer set over HTTP, against the framework's floor (a script).

The demo study's round 1 (27 statements x 2 criteria = 54 ratings per answer set) is
submitted again and again by many panelists at once, through a real uvicorn server (one
worker on SQLite, two on PostgreSQL), with wrk rotating over pre-opened panelist
sessions (each one's cookie and CSRF token, obtained through the real link exchange).
The floor is ``floor_app.create_submit_app``: a minimal FastAPI app that parses the same
form and writes the same rows in one transaction, served the same way, on the same
database. The two run alternately at each point (10, 20, 50, 100, 200 connections),
three times each; the figures are the medians, the errors the sums.

Goals (issue 12): at 50 connections >= 50% of the floor's throughput and p99 < 300 ms;
no error at any point; throughput not falling as connections rise (each point at least
85% of the best one before it). Also printed: the peak resident memory (VmHWM) of the
serving processes of both, after the whole load.

wrk is the Debian package ``wrk``: ``apt-get install -y wrk``.

    .venv/bin/python tests/benchmarks/bench_submit.py [--quick] [--databases sqlite]
        [--seconds 5] [--profile DIR]  (--profile uses yappi, in the test extra)
"""

from __future__ import annotations

import tempfile
import urllib.parse
from pathlib import Path

import harness
from harness import Load, Results, Server

POINTS = (10, 20, 50, 100, 200)
QUICK_POINTS = (10, 50)
GOAL_CONNECTIONS = 50
PROFILE_CONNECTIONS = 20
PANELISTS = 500
NOT_FALLING = 0.85


def body(ratings: list[tuple[str, str]], csrf: str) -> str:
    return urllib.parse.urlencode([*ratings, ("action", "submit"), ("csrf_token", csrf)])


def check_rows(round_ids: dict[str, int], panelists: int, cells: int) -> None:
    """Every answer set stored whole (all its rows), by the application and by the floor."""
    from sqlalchemy import func, select

    from app.db import read_session
    from app.models import Response, Submission

    with read_session() as session:
        for name, round_id in round_ids.items():
            sets = session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.round_id == round_id, Submission.cells.is_not(None))
            )
            rows = session.scalar(
                select(func.count()).select_from(Response).where(Response.round_id == round_id)
            )
            print(f"  stored by {name}: {sets} answer sets, {rows} response rows", flush=True)
            if not 0 < (sets or 0) <= panelists or rows != (sets or 0) * cells:
                raise RuntimeError(f"{name} stored {sets} sets in {rows} rows, not x {cells}")


def prepare(kind: str, url: str, panelists: int, folder: Path) -> tuple[Path, Path, int, int]:
    """Two studies: one answered through the application, one through the floor."""
    mine = harness.new_study("bench-submit", panelists)
    floor = harness.new_study("bench-submit-floor", panelists)
    floor_respondents = harness.respondent_ids(floor)
    with Server("app.main:create_app", url, workers=harness.WORKERS[kind]) as server:
        sessions = harness.open_sessions(server.base_url, mine.tokens)
    app_requests = harness.write_requests(
        folder / "app.tsv",
        [
            (
                "POST",
                "/round",
                f"{harness.SESSION_COOKIE}={s.cookie}",
                "",
                body(mine.ratings(i), s.csrf),
            )
            for i, s in enumerate(sessions)
        ],
    )
    floor_requests = harness.write_requests(
        folder / "floor.tsv",
        [
            ("POST", "/round", "", str(rid), body(floor.ratings(i), "x" * len(sessions[0].csrf)))
            for i, rid in enumerate(floor_respondents)
        ],
    )
    return app_requests, floor_requests, mine.round_id, floor.round_id


def measure(
    kind: str,
    results: Results,
    *,
    points: tuple[int, ...],
    repetitions: int,
    seconds: float,
    panelists: int,
    profile: Path | None,
    clock: str = "cpu",
) -> None:
    label = {"sqlite": "SQLite, 1 worker", "postgresql": "PostgreSQL, 2 workers"}[kind]
    print(f"\n== submit, {label}: {panelists} panelist sessions", flush=True)
    with (
        harness.scratch_database(kind, "submit") as url,
        harness.app_database(url),
        tempfile.TemporaryDirectory(prefix="delphi-bench-submit-") as tmp,
    ):
        folder = Path(tmp)
        app_requests, floor_requests, app_round, floor_round = prepare(kind, url, panelists, folder)
        workers = harness.WORKERS[kind]
        app = Server("app.main:create_app", url, workers=workers)
        floor = Server(
            "floor_app:create_submit_app",
            url,
            workers=workers,
            env={"PYTHONPATH": str(harness.HERE), "BENCH_FLOOR_ROUND": str(floor_round)},
        )
        with app, floor:
            systems = ((app, app_requests), (floor, floor_requests))
            # Warm-up (not counted): every panelist's first submit creates their records.
            for server, requests in systems:
                harness.wrk(
                    server.base_url + "/round",
                    harness.ROTATE_LUA,
                    connections=10,
                    seconds=max(2.0, seconds / 2),
                    env={"BENCH_REQUESTS": str(requests)},
                )
            curve: dict[int, tuple[Load, Load]] = {}
            for connections in points:
                runs: tuple[list[Load], list[Load]] = ([], [])
                for repetition in range(repetitions):
                    order = systems if repetition % 2 == 0 else systems[::-1]
                    for server, requests in order:
                        load = harness.wrk(
                            server.base_url + "/round",
                            harness.ROTATE_LUA,
                            connections=connections,
                            seconds=seconds,
                            env={"BENCH_REQUESTS": str(requests)},
                        )
                        runs[0 if server is app else 1].append(load)
                mine, theirs = harness.combine(runs[0]), harness.combine(runs[1])
                curve[connections] = (mine, theirs)
                print(
                    f"  {connections:3d} connections  app   {mine.describe()}\n"
                    f"                   floor {theirs.describe()}  "
                    f"ratio {harness.ratio(mine.rps, theirs.rps):.2f}",
                    flush=True,
                )
            app_rss, floor_rss = app.peak_rss_mb(), floor.peak_rss_mb()
            check_rows({"the application": app_round, "the floor": floor_round}, panelists, 54)
        if profile is not None:
            name = f"submit-{kind}-{clock}"
            profile_submit(url, workers, app_requests, profile / name, seconds, clock)
    report(kind, label, curve, results, app_rss, floor_rss)


def report(
    kind: str,
    label: str,
    curve: dict[int, tuple[Load, Load]],
    results: Results,
    app_rss: list[float],
    floor_rss: list[float],
) -> None:
    goal_point = GOAL_CONNECTIONS if GOAL_CONNECTIONS in curve else max(curve)
    mine, theirs = curve[goal_point]
    share = harness.ratio(mine.rps, theirs.rps)
    results.add(
        f"submit {label}, {goal_point} conn: req/s",
        f"{mine.rps:.0f} req/s",
        f"{theirs.rps:.0f} req/s (floor)",
        f"{share:.2f}",
        ">= 0.50 of floor",
        share >= 0.5,
    )
    results.add(
        f"submit {label}, {goal_point} conn: p99",
        f"{mine.p99_ms:.0f} ms",
        f"{theirs.p99_ms:.0f} ms",
        f"{harness.ratio(mine.p99_ms, theirs.p99_ms):.2f}",
        "< 300 ms",
        mine.p99_ms < 300,
    )
    errors = sum(m.errors for m, _ in curve.values())
    floor_errors = sum(t.errors for _, t in curve.values())
    results.add(
        f"submit {label}: errors, all points",
        f"{errors}",
        f"{floor_errors}",
        "",
        "0",
        errors == 0,
    )
    rates = [curve[c][0].rps for c in sorted(curve)]
    falling = [
        f"{c}" for i, c in enumerate(sorted(curve)) if i and rates[i] < NOT_FALLING * max(rates[:i])
    ]
    shape = " ".join(f"{c}:{curve[c][0].rps:.0f}" for c in sorted(curve))
    floor_shape = " ".join(f"{c}:{curve[c][1].rps:.0f}" for c in sorted(curve))
    results.add(
        f"submit {label}: req/s by connections",
        shape,
        floor_shape,
        "",
        "not falling",
        not falling,
    )
    for connections in sorted(curve):
        m, t = curve[connections]
        results.add(
            f"  {connections} conn: req/s, p50/p99 ms, errors",
            f"{m.rps:.0f}, {m.p50_ms:.0f}/{m.p99_ms:.0f}, {m.errors}",
            f"{t.rps:.0f}, {t.p50_ms:.0f}/{t.p99_ms:.0f}, {t.errors}",
            f"{harness.ratio(m.rps, t.rps):.2f}",
        )
    results.add(
        f"server peak RSS under submit load, {kind}",
        " + ".join(f"{mb:.0f}" for mb in app_rss) + " MiB",
        " + ".join(f"{mb:.0f}" for mb in floor_rss) + " MiB (floor)",
        f"{harness.ratio(max(app_rss), max(floor_rss)):.2f}",
        "printed",
    )


def profile_submit(
    url: str, workers: int, requests: Path, out: Path, seconds: float, clock: str
) -> None:
    """The application under yappi during one more run, at 20 connections: within what
    admission lets in at once, so the profile shows the work of a submit, not 503s of a
    server that profiling slows down."""
    with harness.profiled_server(url, out, workers=workers, clock=clock) as server:
        harness.wrk(  # warm-up, not profiled
            server.base_url + "/round",
            harness.ROTATE_LUA,
            connections=PROFILE_CONNECTIONS,
            seconds=5,
            env={"BENCH_REQUESTS": str(requests)},
        )
        harness.profile_from_now(server)
        harness.wrk(
            server.base_url + "/round",
            harness.ROTATE_LUA,
            connections=PROFILE_CONNECTIONS,
            seconds=max(seconds, 8.0),
            env={"BENCH_REQUESTS": str(requests)},
        )
    lines = harness.summarize_profile(harness.profile_files(out))
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nprofile of the submit path ({out}.txt):\n" + "\n".join(lines), flush=True)


def main() -> None:
    options = harness.parser(__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, help="seconds per wrk run (default 5)")
    options.add_argument("--repetitions", type=int, help="runs per point and system (3)")
    options.add_argument("--panelists", type=int, help="panelist sessions to rotate over (500)")
    options.add_argument("--profile", type=Path, help="profile the server (yappi) into this folder")
    args = options.parse_args()
    harness.require_wrk()
    points = QUICK_POINTS if args.quick else POINTS
    repetitions = args.repetitions or (1 if args.quick else 3)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    panelists = args.panelists or (100 if args.quick else PANELISTS)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with harness.session_of("bench_submit", args) as results:
        for kind in harness.databases(args):
            measure(
                kind,
                results,
                points=points,
                repetitions=repetitions,
                seconds=seconds,
                panelists=panelists,
                profile=args.profile,
                clock=args.profile_clock,
            )


if __name__ == "__main__":
    main()
