"""Every benchmark in one run, one table at the end (``make bench``).

Runs each script in a process of its own, one after the other (they would disturb each
other's figures side by side), with settings that keep the whole run under 10 minutes on
the 2-core development machine: shorter wrk runs for the submit curve and the
questionnaire, two repetitions of the submit curve, the close and the launch, the two
close sizes that have goals, 500 messages for the mail figure and 20 s per database for
the 200-panelist load. ``--full`` gives every script its own
defaults instead (the load then runs its 2 minutes per database); ``--quick`` a smoke run
of everything. Each script's
whole output is kept in ``var/bench/<time>/``; the table gives, for every figure, ours,
the baseline measured in the same run, the ratio, the goal and PASS/MISS, with the load
average before and after.

The first run also seeds the large rounds of bench_close.py (a few minutes); later runs
copy them from ``var/bench-cache/``.

    .venv/bin/python tests/benchmarks/run_all.py [--quick | --full] [--databases sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import harness
from harness import Figure

# Two repetitions where the figure held still between runs (the submit curve, the
# close, the launch); three for the questionnaire, whose ratio sits near its goal.
BUDGETED: list[tuple[str, list[str]]] = [
    ("bench_engine.py", []),
    ("bench_submit.py", ["--seconds", "2", "--panelists", "200", "--repetitions", "2"]),
    ("bench_questionnaire.py", ["--seconds", "2"]),
    ("bench_close.py", ["--sizes", "5000x100,10000x500", "--repetitions", "2"]),
    ("bench_launch.py", ["--messages", "500", "--repetitions", "2"]),
    ("bench_load.py", ["--seconds", "20"]),
]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = options.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a smoke run of every script")
    mode.add_argument("--full", action="store_true", help="every script with its own defaults")
    options.add_argument("--databases", default=",".join(harness.KINDS))
    options.add_argument("--only", help="comma-separated script names to run (default all)")
    args = options.parse_args()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = harness.ROOT / "var" / "bench" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    kinds = args.databases
    problem = harness.postgres_reachable() if "postgresql" in kinds else None
    if problem:
        print(f"PostgreSQL is not reachable ({problem}); measuring SQLite only")
        kinds = "sqlite"
    harness.require_wrk()
    before = harness.load_average()
    print(
        f"run_all: {platform.node()}, {platform.machine()}, python {platform.python_version()}, "
        f"{harness.cpu_description()}; load average before {harness.format_load(before)}; "
        f"output in {folder}",
        flush=True,
    )
    start = time.monotonic()
    figures: list[Figure] = []
    failed: list[str] = []
    took_by_script: dict[str, float] = {}
    chosen = set(args.only.split(",")) if args.only else None
    for script, budget in BUDGETED:
        if chosen is not None and script.removesuffix(".py") not in chosen and script not in chosen:
            continue
        out = folder / script.replace(".py", ".json")
        command = [sys.executable, str(harness.HERE / script), "--json", str(out)]
        if script != "bench_engine.py":
            command += ["--databases", kinds]
        if args.quick:
            command.append("--quick")
        elif not args.full:
            command += budget
        print(
            f"\n##### {' '.join(Path(c).name if c.startswith('/') else c for c in command[1:])}",
            flush=True,
        )
        began = time.monotonic()
        with (folder / script.replace(".py", ".log")).open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=harness.ROOT,
            )
            assert process.stdout is not None
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
            process.wait()
        took = time.monotonic() - began
        took_by_script[script.removesuffix(".py")] = took
        if process.returncode != 0 or not out.exists():
            failed.append(script)
            figures.append(
                Figure(f"{script} failed (exit {process.returncode})", "", "", "", "", False)
            )
            continue
        data = json.loads(out.read_text(encoding="utf-8"))
        figures += [Figure(**f) for f in data["figures"]]
        print(f"##### {script}: {took:.0f} s", flush=True)
    after = harness.load_average()
    total = time.monotonic() - start
    harness.print_table(figures, f"All benchmarks ({stamp})")
    misses = sum(1 for f in figures if f.ok is False)
    passes = sum(1 for f in figures if f.ok)
    print(
        f"\n{passes} PASS, {misses} MISS; {total / 60:.1f} min "
        f"(goal < 10 min: {'PASS' if total < 600 else 'MISS'}); load average before "
        f"{harness.format_load(before)}, after {harness.format_load(after)}; "
        f"{harness.cpu_description()}"
    )
    # Where the 10 minutes go, for the next trim.
    print("time per script: " + ", ".join(f"{k} {v:.0f} s" for k, v in took_by_script.items()))
    (folder / "table.txt").write_text(
        "\n".join(harness.format_row(f) for f in figures) + "\n", encoding="utf-8"
    )
    if failed:
        print(f"failed: {', '.join(failed)}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
