"""How long the final report takes: the demo's finished pilot, and 1,000 x 100 (a script).

For each study: the report's data (``app.reports.service.build``, what
``GET .../report`` serves), the printable page (data and charts rendered to one HTML
document) and the PDF (the page printed by headless Chromium), each timed on its own
with its size. The large study is seed.py's round of 1,000 panelists x 100 statements x
2 criteria, every answer set submitted, closed here (the close, which now computes the
sensitivity, opinion groups, agreement and attrition, is timed too).

    .venv/bin/python tests/benchmarks/bench_report.py [--databases sqlite,postgresql]
        [--skip-demo] [--skip-pdf]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from collections.abc import Callable
from typing import Any

import seed
from harness import app_database, scratch_database


def timed(label: str, work: Callable[[], Any], size: Callable[[Any], int]) -> Any:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"    {label:<28} {seconds:7.2f} s   {size(result) / 1000:9.0f} kB", flush=True)
    return result


def report_of(key: str, *, pdf: bool) -> None:
    from app.db import unit_of_work
    from app.reports import page, service
    from app.studies import service as studies

    with unit_of_work() as session:
        survey = studies.get_by_key_or_raise(session, key)
        timed(
            "report data (JSON)",
            lambda: json.dumps(service.build(session, survey)),
            lambda text: len(text.encode()),
        )
        timed("page (HTML with charts)", lambda: page.printable(session, survey), len)
        if pdf:
            timed("PDF (Chromium)", lambda: page.pdf_of(session, survey), len)


def demo(kind: str, *, pdf: bool) -> None:
    import numpy as np

    from app import demo as demo_module
    from app.db import unit_of_work

    print(f"  demo pilot ({demo_module.PILOT_PANEL} panelists x 27 statements x 2), {kind}")
    with scratch_database(kind, "report_demo") as url, app_database(url):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), unit_of_work() as session:
            demo_module.study.pilot(session, np.random.default_rng(demo_module.SEED + 1))
        print(f"    seeded the pilot in {time.perf_counter() - start:.1f} s (not timed below)")
        report_of(demo_module.PILOT_KEY, pdf=pdf)


def large(kind: str, *, pdf: bool) -> None:
    from app.db import Transactions
    from app.rounds import service as rounds

    panelists, statements = 1_000, 100
    print(f"  {panelists:,} panelists x {statements} statements x 2 criteria, {kind}")
    with seed.seeded(kind, panelists, statements) as (url, big), app_database(url):
        start = time.perf_counter()
        rounds.close_promptly(Transactions(), big.survey_id, big.number, actor="bench")
        print(f"    close with the analyses      {time.perf_counter() - start:7.2f} s")
        report_of(big.key, pdf=pdf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-pdf", action="store_true")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        if not args.skip_demo:
            demo(kind, pdf=not args.skip_pdf)
        large(kind, pdf=not args.skip_pdf)


if __name__ == "__main__":
    main()
