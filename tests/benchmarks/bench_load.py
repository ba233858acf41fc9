"""The deadline rush of issue 6: 200 panelists for 2 minutes against a real server (a script).

Each panelist, in a browser of their own (own cookies, a fresh connection per request),
goes round the same cycle until the time is up: opens their emailed link
(``GET /r/<token>``, 303), reads the questionnaire (``GET /round``), thinks, saves a
draft (``POST /round`` action=save, 303), thinks, submits every answer (action=submit,
303). Think times are uniform random (3-8 s reading, 1-4 s before submitting); starts
are spread over the first 15 s. Every request has a 30 s timeout and the run stops at
its deadline (requests in flight then finish or time out), so the script is bounded in
time. One worker on SQLite, two on PostgreSQL.

Printed per request type: count, p50/p95/p99 latency and the errors (any other status,
or no answer). At the end, every panelist who was answered 303 to a submit must have a
submitted answer set. Goal: 0 errors.

    .venv/bin/python tests/benchmarks/bench_load.py [--quick] [--databases sqlite]
        [--panelists 200] [--seconds 120]
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

import harness
import httpx
from harness import OpenRound, Results, Server

THINK_READ = (3.0, 8.0)
THINK_SUBMIT = (1.0, 4.0)
RAMP_S = 15.0
TIMEOUT_S = 30.0
KINDS = ("open link", "questionnaire", "save draft", "submit")
EXPECTED = {"open link": 303, "questionnaire": 200, "save draft": 303, "submit": 303}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    submitted: set[int] = field(default_factory=set)


async def panelist(
    index: int,
    opened: OpenRound,
    base_url: str,
    deadline: float,
    record: Record,
    rng: random.Random,
) -> None:
    token = opened.tokens[index]
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S, limits=limits) as client:
        await asyncio.sleep(rng.uniform(0, RAMP_S))
        version = index
        while time.monotonic() < deadline:
            page = await request(client, "open link", "GET", f"/r/{token}", record)
            if page is None:
                await asyncio.sleep(1.0)
                continue
            page = await request(client, "questionnaire", "GET", "/round", record)
            found = _CSRF.search(page.text) if page is not None else None
            if found is None:
                await asyncio.sleep(1.0)
                continue
            csrf = found[1]
            await asyncio.sleep(rng.uniform(*THINK_READ))
            if time.monotonic() >= deadline:
                break
            ratings = opened.ratings(version)
            draft = ratings[: len(ratings) // 2]
            await request(client, "save draft", "POST", "/round", record, form(draft, "save", csrf))
            await asyncio.sleep(rng.uniform(*THINK_SUBMIT))
            if time.monotonic() >= deadline:
                break
            done = await request(
                client, "submit", "POST", "/round", record, form(ratings, "submit", csrf)
            )
            if done is not None:
                record.submitted.add(index)
            version += 1


def form(ratings: list[tuple[str, str]], action: str, csrf: str) -> str:
    return urllib.parse.urlencode([*ratings, ("action", action), ("csrf_token", csrf)])


async def request(
    client: httpx.AsyncClient,
    kind: str,
    method: str,
    path: str,
    record: Record,
    body: str | None = None,
) -> httpx.Response | None:
    """One request, timed; ``None`` (and an error recorded) unless it got the expected status."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else None
    start = time.monotonic()
    try:
        response = await client.request(method, path, content=body, headers=headers)
    except httpx.HTTPError as exc:
        record.latencies[kind].append(time.monotonic() - start)
        record.errors[kind].append(type(exc).__name__)
        return None
    record.latencies[kind].append(time.monotonic() - start)
    if response.status_code != EXPECTED[kind]:
        record.errors[kind].append(str(response.status_code))
        return None
    return response


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def stored_submissions(round_id: int) -> int:
    from sqlalchemy import func, select

    from app.db import read_session
    from app.models import Submission

    with read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.round_id == round_id, Submission.cells.is_not(None))
            )
            or 0
        )


def measure(kind: str, results: Results, panelists: int, seconds: float) -> None:
    label = {"sqlite": "SQLite, 1 worker", "postgresql": "PostgreSQL, 2 workers"}[kind]
    print(f"\n== {panelists} panelists for {seconds:.0f} s, {label}", flush=True)
    with harness.scratch_database(kind, "load") as url, harness.app_database(url):
        opened = harness.new_study("bench-load", panelists)
        with Server("app.main:create_app", url, workers=harness.WORKERS[kind]) as server:
            record = Record()
            rng = random.Random(2026)
            start = time.monotonic()
            deadline = start + seconds

            async def everyone() -> None:
                await asyncio.gather(
                    *(
                        panelist(
                            i,
                            opened,
                            server.base_url,
                            deadline,
                            record,
                            random.Random(rng.random()),
                        )
                        for i in range(panelists)
                    )
                )

            asyncio.run(everyone())
            elapsed = time.monotonic() - start
            rss = server.peak_rss_mb()
        stored = stored_submissions(opened.round_id)
    total = sum(len(v) for v in record.latencies.values())
    errors = sum(len(v) for v in record.errors.values())
    print(f"  {total} requests in {elapsed:.0f} s ({total / elapsed:.1f} req/s), {errors} errors")
    for name in KINDS:
        times = record.latencies.get(name, [])
        problems = record.errors.get(name, [])
        summary = ", ".join(f"{s} x{problems.count(s)}" for s in sorted(set(problems))) or "none"
        results.add(
            f"load {label}: {name}",
            f"p50/p95/p99 {percentile(times, 0.5) * 1e3:.0f}/{percentile(times, 0.95) * 1e3:.0f}/"
            f"{percentile(times, 0.99) * 1e3:.0f} ms",
            f"{len(times)} requests, errors: {summary}",
        )
    results.add(
        f"load {label}: errors, {total} requests",
        f"{errors}",
        f"{len(record.submitted)} panelists submitted, {stored} sets stored",
        "",
        "0 errors, every 303 stored",
        errors == 0 and stored >= len(record.submitted),
    )
    results.add(
        f"server peak RSS under the load, {kind}", " + ".join(f"{mb:.0f}" for mb in rss) + " MiB"
    )


def main() -> None:
    options = harness.parser(__doc__.splitlines()[0])
    options.add_argument("--panelists", type=int, help="panelists (200)")
    options.add_argument("--seconds", type=float, help="length of the run (120)")
    args = options.parse_args()
    panelists = args.panelists or (50 if args.quick else 200)
    seconds = args.seconds or (20.0 if args.quick else 120.0)
    with harness.session_of("bench_load", args) as results:
        for kind in harness.databases(args):
            measure(kind, results, panelists, seconds)


if __name__ == "__main__":
    main()
