"""Speed and memory of the engine on a large panel (a script, not a pytest test).

10,000 respondents x 500 statements on a 9-point scale with 5% missing answers,
seeded.  Prints each figure with its goal and PASS/MISS:

- the floor: one counting pass over the ratings (mask the NaN, code each rating as
  ``(rating - 1) + 9 * column``, ``np.bincount``), from which every count-based
  statistic follows;
- ``summarize`` against the floor (goal <= 4x) and against the straightforward
  per-column loop of ``np.nanquantile`` / ``np.nanmean`` / ``np.nanstd`` plus the
  agreement shares (goal >= 10x faster);
- ``kendalls_w`` on the same matrix without missing values (goal <= 10x the floor);
- ``krippendorff_alpha(level="ordinal")`` (goal <= 10x the floor and >= 10x faster
  than the ``krippendorff`` package on the same data);
- ``opinion_groups`` (goal < 2 s);
- peak traced memory (``tracemalloc``, which sees numpy's allocations) of a pass
  that builds the data and runs every function once, against the size of the
  ratings matrix (goal < 10x).

With ``--json FILE`` the figures are also written for ``run_all.py``; ``--quick`` runs on
2,000 x 100 for a smoke test.

Times are the best of 3 runs (``time.perf_counter``; the alpha and the package it is
compared with run alternately, best of 5) except ``opinion_groups`` and
the per-column loop, which run once.  Run with ``make bench`` or
``.venv/bin/python tests/benchmarks/bench_engine.py``.
"""

from __future__ import annotations

import json
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import harness
import krippendorff
import numpy as np

import engine
from engine.change import paired_change
from engine.dissent import group_divergence, opinion_groups
from engine.reliability import kendalls_w, krippendorff_alpha

ROWS, COLS, POINTS, MISSING, SEED = 10_000, 500, 9, 0.05, 20_240_601
SCALE = engine.Scale(1, POINTS)


def make_data() -> tuple[np.ndarray, np.ndarray]:
    """Ratings with per-statement leanings (complete and with 5% missing)."""
    rng = np.random.default_rng(SEED)
    lean = rng.uniform(2.0, 8.0, COLS)
    spread = rng.uniform(0.8, 2.5, COLS)
    complete = np.clip(np.rint(lean + spread * rng.standard_normal((ROWS, COLS))), 1, POINTS)
    ratings = complete.copy()
    ratings[rng.random((ROWS, COLS)) < MISSING] = np.nan
    return complete, ratings


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_interleaved(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int = 5
) -> tuple[float, float]:
    """Best times of two functions run alternately, so a load spike hits both alike."""
    mine, other = [], []
    for _ in range(repeat):
        for fn, times in ((ours, mine), (theirs, other)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return min(mine), min(other)


def floor_pass(ratings: np.ndarray) -> np.ndarray:
    """One counting pass: the lower bound for any count-based statistic."""
    present = ~np.isnan(ratings)
    columns = np.broadcast_to(np.arange(ratings.shape[1]), ratings.shape)
    codes = (ratings[present] - 1).astype(np.intp) + POINTS * columns[present]
    return np.bincount(codes, minlength=POINTS * ratings.shape[1])


def per_column_loop(ratings: np.ndarray) -> list[tuple[float, ...]]:
    """What summarize replaces: numpy's NaN-aware functions, one statement at a time."""
    out = []
    for j in range(ratings.shape[1]):
        column = ratings[:, j]
        q1, median, q3 = np.nanquantile(column, [0.25, 0.5, 0.75], method="weibull")
        mean = np.nanmean(column)
        sd = np.nanstd(column, ddof=1)
        present = column[~np.isnan(column)]
        agree = np.mean((present >= 7) & (present <= 9))
        disagree = np.mean((present >= 1) & (present <= 3))
        out.append((q1, median, q3, mean, sd, agree, disagree))
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


RESULTS = harness.Results(script="bench_engine")


def report(name: str, seconds: float, ratio: str, goal: str, ok: bool) -> None:
    print(f"{name:30s} {seconds * 1e3:8.1f} ms  {ratio:18s} goal {goal:14s} {verdict(ok)}")
    RESULTS.figures.append(
        harness.Figure(f"engine {name.strip()}", f"{seconds * 1e3:.1f} ms", "", ratio, goal, ok)
    )


def extra_inputs(ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stakeholder groups and a previous round for the informational timings."""
    rng = np.random.default_rng(SEED + 1)
    groups = np.array(["state", "ngo", "academia", "private", "research"])[
        rng.integers(0, 5, ratings.shape[0])
    ]
    previous = np.clip(ratings + rng.integers(-1, 2, ratings.shape), 1, POINTS)
    return groups, previous


def timings() -> None:
    complete, ratings = make_data()
    groups, previous = extra_inputs(ratings)

    # warm up imports and caches once
    floor_pass(ratings)
    engine.summarize(ratings, SCALE)
    krippendorff_alpha(ratings)
    kendalls_w(complete)

    floor = best_of(lambda: floor_pass(ratings))
    present = ~np.isnan(ratings)
    codes = (ratings[present] - 1).astype(np.intp) + POINTS * np.nonzero(present)[1]
    bare = best_of(lambda: np.bincount(codes, minlength=POINTS * COLS))
    print(f"floor: one counting pass (mask, code, bincount) {floor * 1e3:8.1f} ms")
    print(f"  (np.bincount alone on precomputed codes:       {bare * 1e3:8.1f} ms, info)")
    print()

    t = best_of(lambda: engine.summarize(ratings, SCALE))
    report("summarize", t, f"{t / floor:5.2f}x floor", "<= 4x floor", t <= 4 * floor)
    start = time.perf_counter()
    per_column_loop(ratings)
    loop = time.perf_counter() - start
    report(
        "  vs per-column numpy loop",
        loop,
        f"{loop / t:5.1f}x faster",
        ">= 10x faster",
        loop >= 10 * t,
    )

    t = best_of(lambda: kendalls_w(complete))
    report(
        "kendalls_w (complete rows)", t, f"{t / floor:5.2f}x floor", "<= 10x floor", t <= 10 * floor
    )

    t, package = best_of_interleaved(
        lambda: krippendorff_alpha(ratings, "ordinal"),
        lambda: krippendorff.alpha(reliability_data=ratings, level_of_measurement="ordinal"),
    )
    report(
        "krippendorff_alpha ordinal", t, f"{t / floor:5.2f}x floor", "<= 10x floor", t <= 10 * floor
    )
    report(
        "  vs krippendorff package",
        package,
        f"{package / t:5.1f}x faster",
        ">= 10x faster",
        package >= 10 * t,
    )
    ours = krippendorff_alpha(ratings, "ordinal").alpha
    theirs = float(krippendorff.alpha(reliability_data=ratings, level_of_measurement="ordinal"))
    print(f"  (same alpha: engine {ours:.12g}, package {theirs:.12g}; package on the full data)")

    start = time.perf_counter()
    found = opinion_groups(ratings)
    t = time.perf_counter() - start
    report("opinion_groups (one run)", t, f"k = {found.k}", "< 2 s", t < 2.0)

    t = best_of(lambda: paired_change(previous, ratings))
    print(f"{'paired_change':30s} {t * 1e3:8.1f} ms  (info)")
    t = best_of(lambda: group_divergence(ratings, groups))
    print(f"{'group_divergence':30s} {t * 1e3:8.1f} ms  (info)")
    print()


def memory() -> None:
    """Peak traced memory of a pass that builds the data and runs everything once.

    It is a separate pass because tracing slows Python-level code (the per-column
    loop most), which would distort the timings.
    """
    tracemalloc.start()
    complete, ratings = make_data()
    groups, previous = extra_inputs(ratings)
    floor_pass(ratings)
    engine.summarize(ratings, SCALE)
    kendalls_w(complete)
    krippendorff_alpha(ratings, "ordinal")
    opinion_groups(ratings)
    paired_change(previous, ratings)
    group_divergence(ratings, groups)
    engine_peak = tracemalloc.get_traced_memory()[1]
    krippendorff.alpha(reliability_data=ratings, level_of_measurement="ordinal")
    per_column_loop(ratings)
    run_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = ratings.nbytes
    print(f"input: one ratings matrix, {size / 2**20:.1f} MiB (float64)")
    print(
        f"{'peak memory, whole run':30s} {run_peak / 2**20:8.1f} MiB "
        f"{run_peak / size:5.2f}x input        goal < 10x input   {verdict(run_peak < 10 * size)}"
    )
    RESULTS.figures.append(
        harness.Figure(
            "engine peak memory, whole run",
            f"{run_peak / 2**20:.0f} MiB",
            f"{size / 2**20:.0f} MiB (input)",
            f"{run_peak / size:.2f}x",
            "< 10x input",
            run_peak < 10 * size,
        )
    )
    print(
        f"{'  up to the end of the engine':30s} {engine_peak / 2**20:8.1f} MiB "
        f"{engine_peak / size:5.2f}x input"
    )
    print("  (the run holds three matrices: ratings, the complete copy, the previous round)")


def main() -> None:
    global ROWS, COLS
    options = harness.parser(__doc__.splitlines()[0])
    args = options.parse_args()
    if args.quick:
        ROWS, COLS = 2_000, 100
    RESULTS.load_before = harness.load_average()
    start = time.monotonic()
    print(
        f"engine benchmark: {ROWS:,} respondents x {COLS} statements, {POINTS}-point scale, "
        f"{MISSING:.0%} missing, seed {SEED}"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (timings are wall clock)")
    print()
    timings()
    memory()
    RESULTS.load_after = harness.load_average()
    RESULTS.seconds = time.monotonic() - start
    print(
        f"load average before {harness.format_load(RESULTS.load_before)}, "
        f"after {harness.format_load(RESULTS.load_after)}"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(RESULTS), indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
