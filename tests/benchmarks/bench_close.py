"""Closing a large round, against fetching its answers into numpy (a script).

Rounds of 1,000 x 50, 5,000 x 100 and 10,000 x 500 panelists x statements x 2 criteria,
every answer set submitted (seeded in bulk with the rows ``app.answers.service.submit``
writes; see seed.py, which keeps the seeded databases in ``var/bench-cache/``), on SQLite
and PostgreSQL. Each close runs in a subprocess of its own, as ``delphi round close``
would: ``app.rounds.service.close_promptly`` end to end, snapshot write included, timed
after the imports, with the process's peak resident memory (``VmHWM``). The
baseline, in a subprocess too and alternating with the close, three times each: the
bare DBAPI fetch of the same answer sets (the compact cells with each respondent's group,
in respondent order) into one numpy array. The round is reopened between closes (its
snapshot deleted, statements active again), untimed.

For information: fetching the same answers as relational rows (``response``) into numpy,
the storage the compact cells replaced (at 1,000 x 50, or every size with
``--relational``).

At the largest size, while a close runs, panelists of another study submit their full
answer set over HTTP to a real server on the same database (4 at a time, in a loop); the
worst wait is printed against the worst with no close running.

Goals (issue 12): 10,000 x 500 in < 3 s and < 1 GB; 5,000 x 100 in < 1 s; no panelist
blocked for more than 1 s.

    .venv/bin/python tests/benchmarks/bench_close.py [--quick] [--databases sqlite]
        [--sizes 1000x50,5000x100,10000x500] [--fresh] [--profile DIR]
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any

import harness
from harness import Results, Server

SIZES = ((1_000, 50), (5_000, 100), (10_000, 500))
QUICK_SIZES = ((1_000, 50),)
GOALS = {(5_000, 100): 1.0, (10_000, 500): 3.0}
MEMORY_GOAL_MB = {(10_000, 500): 1024.0}
BLOCKED_GOAL_S = 1.0
SUBMITTERS = 4


# ------------------------------------------------------------------- the children


def child(args: list[str]) -> None:
    """Run one timed operation in this fresh process and print its figures as JSON."""
    import numpy  # noqa: F401 - imported before the clock starts, as the close's imports are

    what, url, meta = args[0], args[1], json.loads(args[2])
    profile = Path(args[3]) if len(args) > 3 else None
    with harness.app_database(url):
        from app.db import Transactions, get_engine

        imports = 0.0
        if what == "close":  # the baseline needs none of the statistics' imports
            started = time.perf_counter()
            # The engine imports scipy where a statistic first needs it (a command without
            # statistics skips it); a server has it loaded after its first close, so it
            # is loaded here too, before the clock, and its time printed apart.
            from scipy import linalg, special, stats  # noqa: F401

            from app.rounds import service as rounds

            imports = time.perf_counter() - started

        get_engine().connect().close()
        before = harness._status_kb(_self_pid(), "VmRSS") / 1024
        operation = {
            "close": lambda: rounds.close_promptly(
                Transactions(), meta["survey_id"], meta["number"], actor="bench"
            ),
            "fetch": lambda: _fetch_cells(meta["round_id"]),
            "rows": lambda: _fetch_rows(meta["round_id"]),
        }[what]
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            start = time.perf_counter()
            profiler.runcall(operation)
            seconds = time.perf_counter() - start
            profiler.dump_stats(profile)
        else:
            start = time.perf_counter()
            operation()
            seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: Linux carries the latter over from the forking parent.
    peak = harness._status_kb(_self_pid(), "VmHWM") / 1024
    print(
        "CHILDJSON "
        + json.dumps(
            {"seconds": seconds, "peak_mb": peak, "before_mb": before, "imports_s": imports}
        )
    )


def _self_pid() -> int:
    import os

    return os.getpid()


def _fetch_cells(round_id: int) -> Any:
    """The floor: every submitted answer set, with its group, straight into numpy."""
    import numpy as np

    from app.db import get_engine

    with get_engine().connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        marker = "?" if connection.dialect.name == "sqlite" else "%s"
        cursor.execute(
            "SELECT s.respondent_id, r.stakeholder_group, s.cells FROM submission AS s "
            "JOIN respondent AS r ON r.id = s.respondent_id "
            f"WHERE s.round_id = {marker} AND s.cells IS NOT NULL ORDER BY s.respondent_id",
            (round_id,),
        )
        rows = cursor.fetchall()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        groups = [row[1] for row in rows]
        cells = np.frombuffer(b"".join(bytes(row[2]) for row in rows), dtype="<i2")
        return ids, groups, cells.reshape(len(rows), -1)


def _fetch_rows(round_id: int) -> Any:
    """The relational alternative: the ``response`` rows of the round into numpy."""
    import numpy as np

    from app.db import get_engine

    with get_engine().connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        marker = "?" if connection.dialect.name == "sqlite" else "%s"
        cursor.execute(
            "SELECT respondent_id, statement_id, criterion_id, rating FROM response "
            f"WHERE round_id = {marker} ORDER BY respondent_id, statement_id, criterion_id",
            (round_id,),
        )
        rows = cursor.fetchall()
        return np.array([r[3] if r[3] is not None else -1 for r in rows], dtype=np.int16)


def run_child(
    what: str, url: str, meta: dict[str, Any], profile: Path | None = None
) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", what, url, json.dumps(meta)]
    if profile is not None:
        command.append(str(profile))
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    line = next((r for r in result.stdout.splitlines() if r.startswith("CHILDJSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"{what} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(line.removeprefix("CHILDJSON "))
    return figures


# ------------------------------------------------------------- panelists meanwhile


class Submitters:
    """A few panelists submitting their full answer set again and again over HTTP."""

    def __init__(self, base_url: str, bodies: list[tuple[str, str]]) -> None:
        self.base_url = base_url
        self.bodies = bodies
        self.samples: list[tuple[float, float, int]] = []  # start, seconds, status
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(SUBMITTERS)
        ]

    def _loop(self, index: int) -> None:
        import httpx

        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            position = index
            while not self._stop.is_set():
                cookie, body = self.bodies[position % len(self.bodies)]
                position += SUBMITTERS
                start = time.monotonic()
                response = client.post(
                    "/round",
                    content=body,
                    headers={
                        "Cookie": cookie,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                self.samples.append((start, time.monotonic() - start, response.status_code))

    def __enter__(self) -> Submitters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def worst(self, start: float, end: float) -> tuple[float, int, int]:
        """Worst wait of the submits that overlapped [start, end]; their count, errors."""
        overlapping = [s for s in self.samples if s[0] <= end and s[0] + s[1] >= start]
        errors = sum(1 for s in overlapping if s[2] != 303)
        return max((s[1] for s in overlapping), default=0.0), len(overlapping), errors


def blocked_while_closing(
    kind: str, url: str, meta: dict[str, Any], results: Results, label: str
) -> None:
    """The worst submit wait during a close, against the worst with no close."""
    side = harness.new_study("bench-close-side", 16)
    with Server("app.main:create_app", url, workers=harness.WORKERS[kind]) as server:
        sessions = harness.open_sessions(server.base_url, side.tokens)
        bodies = [
            (
                f"{harness.SESSION_COOKIE}={s.cookie}",
                urllib.parse.urlencode(
                    [*side.ratings(i), ("action", "submit"), ("csrf_token", s.csrf)]
                ),
            )
            for i, s in enumerate(sessions)
        ]
        with Submitters(server.base_url, bodies) as submitters:
            time.sleep(1.0)
            idle_start = time.monotonic()
            time.sleep(4.0)
            idle = submitters.worst(idle_start, time.monotonic())
            close_start = time.monotonic()
            figures = run_child("close", url, meta)
            during = submitters.worst(close_start, time.monotonic())
        rss = server.peak_rss_mb()
    print(
        f"  submits meanwhile: worst {during[0] * 1e3:.0f} ms over {during[1]} submits "
        f"({during[2]} not 303) while a {figures['seconds']:.1f} s close ran; "
        f"worst {idle[0] * 1e3:.0f} ms over {idle[1]} with no close",
        flush=True,
    )
    results.add(
        f"submit wait during a close, {label}",
        f"{during[0] * 1e3:.0f} ms worst, {during[2]} errors",
        f"{idle[0] * 1e3:.0f} ms worst, no close",
        f"{harness.ratio(during[0], idle[0]):.1f}",
        f"< {BLOCKED_GOAL_S * 1e3:.0f} ms, 0 errors",
        during[0] < BLOCKED_GOAL_S and during[2] == 0,
    )
    results.add(
        f"server peak RSS meanwhile, {kind}", " + ".join(f"{mb:.0f}" for mb in rss) + " MiB"
    )


# ------------------------------------------------------------------------ measuring


def measure(
    kind: str,
    size: tuple[int, int],
    results: Results,
    *,
    repetitions: int,
    relational: bool,
    blocking: bool,
    fresh: bool,
    profile: Path | None,
) -> None:
    import seed

    panelists, statements = size
    label = f"{panelists:,} x {statements} x 2, {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}"
    print(f"\n== close {label}", flush=True)
    with seed.seeded(kind, panelists, statements, fresh=fresh) as (url, big):
        meta = asdict(big)
        closes: list[dict[str, float]] = []
        fetches: list[dict[str, float]] = []
        for repetition in range(repetitions):
            order = ("close", "fetch") if repetition % 2 == 0 else ("fetch", "close")
            for what in order:
                figures = run_child(what, url, meta)
                (closes if what == "close" else fetches).append(figures)
                print(
                    f"  {what:5s} {figures['seconds']:7.2f} s  peak {figures['peak_mb']:6.0f} MiB "
                    f"(after imports {figures['before_mb']:.0f} MiB"
                    + (f", imports {figures['imports_s']:.2f} s)" if what == "close" else ")"),
                    flush=True,
                )
                if what == "close":
                    with harness.app_database(url):
                        seed.reopen(big)
        close_s = harness.median([c["seconds"] for c in closes])
        fetch_s = harness.median([f["seconds"] for f in fetches])
        peak = max(c["peak_mb"] for c in closes)
        fetch_peak = max(f["peak_mb"] for f in fetches)
        goal = GOALS.get(size)
        results.add(
            f"close {label}",
            f"{close_s:.2f} s",
            f"{fetch_s:.2f} s (fetch cells)",
            f"{harness.ratio(close_s, fetch_s):.1f}x",
            f"< {goal:g} s" if goal else "printed",
            close_s < goal if goal else None,
        )
        memory_goal = MEMORY_GOAL_MB.get(size)
        results.add(
            f"close {label}: peak RSS",
            f"{peak:.0f} MiB",
            f"{fetch_peak:.0f} MiB (fetch)",
            f"{harness.ratio(peak, fetch_peak):.1f}x",
            f"< {memory_goal:.0f} MiB" if memory_goal else "printed",
            peak < memory_goal if memory_goal else None,
        )
        if relational:
            rows = run_child("rows", url, meta)
            results.add(
                f"  (info) fetch {big.answers:,} response rows, {kind}",
                f"{rows['seconds']:.2f} s, {rows['peak_mb']:.0f} MiB",
                f"{fetch_s:.2f} s (cells)",
                f"{harness.ratio(rows['seconds'], fetch_s):.1f}x",
            )
        if profile is not None:
            out = profile / f"close-{kind}-{panelists}x{statements}.prof"
            run_child("close", url, meta, out)
            with harness.app_database(url):
                seed.reopen(big)
            print_profile(out)
        if blocking:
            with harness.app_database(url):
                blocked_while_closing(kind, url, meta, results, label)


def print_profile(path: Path) -> None:
    import io
    import pstats

    for order in ("cumulative", "tottime"):
        stream = io.StringIO()
        pstats.Stats(str(path), stream=stream).sort_stats(order).print_stats(25)
        text = stream.getvalue()
        Path(f"{path}.{order}.txt").write_text(text, encoding="utf-8")
        print(f"\ncProfile of the close by {order} ({path}):\n{text[:6000]}", flush=True)


def parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    sizes = []
    for part in text.split(","):
        panelists, _, statements = part.strip().partition("x")
        sizes.append((int(panelists), int(statements)))
    return tuple(sizes)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    options = harness.parser(__doc__.splitlines()[0])
    options.add_argument("--sizes", help="panelists x statements, e.g. 1000x50,10000x500")
    options.add_argument("--repetitions", type=int, help="closes and fetches per size (3)")
    options.add_argument("--relational", action="store_true", help="fetch rows at every size")
    options.add_argument("--fresh", action="store_true", help="re-seed the cached databases")
    options.add_argument("--profile", type=Path, help="cProfile one close per size to here")
    args = options.parse_args()
    sizes = parse_sizes(args.sizes) if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    repetitions = args.repetitions or (1 if args.quick else 3)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with harness.session_of("bench_close", args) as results:
        for kind in harness.databases(args):
            for size in sizes:
                measure(
                    kind,
                    size,
                    results,
                    repetitions=repetitions,
                    relational=args.relational or size[0] * size[1] <= 50_000,
                    blocking=size == max(sizes, key=lambda s: s[0] * s[1]),
                    fresh=args.fresh,
                    profile=args.profile,
                )


if __name__ == "__main__":
    main()
