"""Page budgets: time to first byte, weight (raw and gzip) and element count of every
page type (a script, not a timed test).

The demo study as ``make demo`` seeds it (round 3 open, with the panel's feedback from
round 2 on every statement), served by a real uvicorn server on SQLite. Each page is
fetched five times by a panelist (or the facilitator) with a session; the median time to
first byte is printed. Budget (issue 10): a topic page of the demo at most 40 KB gzip
compressed and at most 1,500 elements; the script exits with 1 if one is over.

    .venv/bin/python tests/benchmarks/bench_pages.py
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import statistics
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser

import harness
import httpx
from harness import Server

FETCHES = 5
TOPIC_GZIP_BUDGET = 40 * 1024
TOPIC_ELEMENT_BUDGET = 1500
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RADIO = re.compile(r'type="radio" id="[^"]+" name="(r-\d+-\d+)"')


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.count += 1


def elements(html: str) -> int:
    parser = _Elements()
    parser.feed(html)
    return parser.count


@dataclass(frozen=True)
class Measured:
    name: str
    status: int
    ttfb_ms: float
    raw: int
    compressed: int
    elements: int


def measure(client: httpx.Client, name: str, method: str, url: str, **kw: object) -> Measured:
    """Median time to the response headers over FETCHES requests, and the last body."""
    times = []
    for _ in range(FETCHES if method == "GET" else 1):
        start = time.perf_counter()
        with client.stream(method, url, **kw) as response:  # type: ignore[arg-type]
            times.append((time.perf_counter() - start) * 1000)
            body = response.read()
    return Measured(
        name,
        response.status_code,
        statistics.median(times),
        len(body),
        len(gzip.compress(body, 6)),
        elements(body.decode("utf-8", "replace")),
    )


def seed(url: str) -> tuple[str, list[str]]:
    """The demo, seeded as ``make demo`` does: the facilitator's password and links."""
    from app import demo

    with harness.app_database(url), contextlib.redirect_stdout(io.StringIO()):
        access = demo.run()
    return access.facilitator_password, [link for _, link in access.panelist_links]


def main() -> int:
    rows: list[Measured] = []
    with harness.scratch_database("sqlite", "pages", migrated=False) as url:
        password, links = seed(url)
        with (
            Server("app.main:create_app", url) as app,
            httpx.Client(base_url=app.base_url, timeout=60) as panelist,
            httpx.Client(base_url=app.base_url, timeout=60) as console,
        ):
            token = links[0].rsplit("/r/", 1)[1]
            rows.append(measure(panelist, "link landing (303)", "GET", f"/r/{token}"))
            panelist.get(f"/r/{links[1].rsplit('/r/', 1)[1]}")
            first = panelist.get("/round").text
            topics = first.count('class="steps__item"') - 1
            for n in range(1, topics + 1):
                rows.append(measure(panelist, f"topic {n} of {topics}", "GET", f"/round?topic={n}"))
            rows.append(measure(panelist, "summary", "GET", "/round/summary"))
            csrf = CSRF.search(first)[1]  # type: ignore[index]
            rows.append(
                measure(
                    panelist,
                    "summary, refused submit (422)",
                    "POST",
                    "/round",
                    data={"csrf_token": csrf, "page": "summary", "action": "submit"},
                )
            )
            rows.append(measure(panelist, "topic with problems", "GET", "/round?topic=1&check=1"))
            # Every statement answered (a post of the whole round), then submitted.
            answers: dict[str, str] = {}
            for n in range(1, topics + 1):
                for name in RADIO.findall(panelist.get(f"/round?topic={n}").text):
                    answers.setdefault(name, "cj")
            panelist.post("/round", data={**answers, "csrf_token": csrf, "action": "submit"})
            rows.append(
                measure(panelist, "submitted: what happens next", "GET", "/round/submitted")
            )
            rows.append(measure(panelist, "link not valid (404)", "GET", "/r/not-a-link"))
            rows.append(measure(panelist, "not found (404)", "GET", "/no-such-page"))
            rows.append(measure(console, "console sign-in", "GET", "/console/login"))
            form = console.get("/console/login").text
            console.post(
                "/console/login",
                data={
                    "csrf_token": CSRF.search(form)[1],  # type: ignore[index]
                    "email": "facilitator@example.org",
                    "password": password,
                },
            )
            study = "/console/studies/crime-prevention-2027"
            for name, path in (
                ("console home", "/console"),
                ("console study", study),
                ("console panel", f"{study}/panel"),
                ("console round 2 report", f"{study}/rounds/2"),
                ("console statements", f"{study}/statements"),
                ("console proposals", f"{study}/proposals"),
            ):
                rows.append(measure(console, name, "GET", path))
            confirm = console.get(f"{study}/rounds/3/close").text
            console.post(
                f"{study}/rounds/3/close",
                data={"csrf_token": CSRF.search(confirm)[1]},  # type: ignore[index]
            )
            rows.append(measure(panelist, "round closed", "GET", "/round"))
    print(f"{'page':34} {'status':>6} {'TTFB ms':>8} {'raw KB':>8} {'gzip KB':>8} {'elements':>9}")
    over = []
    for r in rows:
        print(
            f"{r.name:34} {r.status:>6} {r.ttfb_ms:>8.1f} {r.raw / 1024:>8.1f} "
            f"{r.compressed / 1024:>8.1f} {r.elements:>9}"
        )
        if r.name.startswith("topic ") and (
            r.compressed > TOPIC_GZIP_BUDGET or r.elements > TOPIC_ELEMENT_BUDGET
        ):
            over.append(r.name)
    print(
        f"budget for a topic page: {TOPIC_GZIP_BUDGET // 1024} KB gzip, "
        f"{TOPIC_ELEMENT_BUDGET} elements: " + (f"OVER on {', '.join(over)}" if over else "met")
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
